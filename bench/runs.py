"""One run of many files through the app (the pipeline) or through the baseline sample,
against a fresh emulator, with what the figures need: request counts by operation and
status, per-file added latency, failures and wall time."""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import ResourceNotFoundError

from bench.common import (
    Host,
    emulator_stats,
    parse_time,
    read_json_blob,
    requests_by_operation,
    scenario,
    upload_all,
    wait_for_manifests,
)
from bench.sample import SampleFile, run_sample
from devtools.localstack import Azurite
from shared import documents
from shared.config import Settings

__all__ = ["FileResult", "RunResult", "run_pipeline", "run_baseline"]

logger = logging.getLogger("speechdrop.bench")

InputFile = tuple[str, bytes, dict[str, str]]


@dataclass
class FileResult:
    name: str
    status: str  # delivered | failed | unfinished
    landed: float
    done: float | None = None
    span_s: float | None = None  # service time for its jobs
    error: str | None = None
    stages: dict[str, float] = field(default_factory=dict)  # seconds spent per stage

    @property
    def added_s(self) -> float | None:
        if self.done is None or self.span_s is None:
            return None
        return self.done - self.landed - self.span_s


@dataclass
class RunResult:
    label: str
    files: list[FileResult]
    wall_s: float
    #: (operation, HTTP status) -> count, as the emulator saw them
    requests: Counter = field(default_factory=Counter)
    client_counts: dict[str, int] = field(default_factory=dict)
    ticks: list[float] = field(default_factory=list)
    trigger_errors: int = 0
    saw_429: int = 0  # baseline: files that met at least one 429

    @property
    def delivered(self) -> int:
        return sum(f.status == "delivered" for f in self.files)

    @property
    def failed(self) -> int:
        return sum(f.status != "delivered" for f in self.files)

    def by_operation(self, status: int | None = None) -> Counter:
        counts: Counter = Counter()
        for (op, code), n in self.requests.items():
            if status is None or code == status:
                counts[op] += n
        return counts

    @property
    def throttled(self) -> int:
        return sum(n for (_, code), n in self.requests.items() if code == 429)

    @property
    def added(self) -> list[float]:
        return [f.added_s for f in self.files if f.added_s is not None]


def _progress(label: str):
    last = [-1]
    started = time.monotonic()

    def show(done: int, total: int) -> None:
        if done != last[0]:
            print(
                f"  {label}: {done}/{total} manifests, {time.monotonic() - started:5.1f} s",
                file=sys.stderr,
                flush=True,
            )
            last[0] = done

    return show


def run_pipeline(
    label: str,
    storage: Azurite,
    emulator_args: Sequence[str],
    poll_s: int,
    files: Sequence[InputFile],
    timeout_s: float,
    event_workers: int = 4,
    **settings: str,
) -> RunResult:
    """Drop `files` at once and run the app's triggers until every manifest is written."""
    names = [name for name, _, _ in files]
    with scenario(
        label, storage, emulator_args, POLL_SCHEDULE=f"*/{poll_s} * * * * *", **settings
    ) as app:
        started = time.monotonic()
        with Host(app.runner, poll_s, event_workers) as host:
            landed = upload_all(app.input, files, host.blob_landed)
            done = wait_for_manifests(
                app.output,
                names,
                timeout_s,
                every_s=min(1.0, poll_s / 3),
                on_progress=_progress(label),
            )
            wall = time.monotonic() - started
        results = []
        for name in names:
            result = FileResult(name, "unfinished", landed[name])
            if name in done:
                manifest = read_json_blob(app.output, f"{name}/manifest.json")
                result.status = manifest["status"]
                times = manifest.get("times", {})
                stamp = times.get("written") or max(times.values(), default=None)
                result.done = parse_time(stamp) if stamp else None
                result.span_s = app.observer.span(manifest.get("jobs", []))
                result.stages = _stages(
                    landed[name], times, app.observer.finished(manifest.get("jobs", []))
                )
                if result.status != "delivered":
                    try:
                        error = read_json_blob(app.output, f"{name}/error.json")["error"]
                        result.error = f"{error.get('code')}: {error.get('message')}"
                    except (ResourceNotFoundError, KeyError, TypeError):
                        result.error = "failed"
            results.append(result)
        stats = emulator_stats(app.emulator.endpoint)
        run = RunResult(
            label,
            results,
            wall,
            client_counts=app.request_counts(),
            ticks=list(host.ticks),
            trigger_errors=host.event_errors + host.tick_errors,
        )
        for op, by_status in requests_by_operation(stats).items():
            for code, n in by_status.items():
                run.requests[(op, int(code))] += n
        return run


def _stages(landed: float, times: dict[str, str], finished: float | None) -> dict[str, float]:
    """Where a delivered file's added time went: landing -> jobs created ("submit"),
    last job finished -> delivery started ("poll wait"), delivery started -> manifest
    ("deliver")."""
    stamps = {stage: parse_time(value) for stage, value in times.items()}
    stages = {}
    if "submitted" in stamps:
        stages["submit"] = stamps["submitted"] - landed
    if "delivering" in stamps and finished is not None:
        stages["poll wait"] = stamps["delivering"] - finished
    if "delivering" in stamps and "written" in stamps:
        stages["deliver"] = stamps["written"] - stamps["delivering"]
    return stages


def run_baseline(
    label: str,
    storage: Azurite,
    emulator_args: Sequence[str],
    poll_s: float,
    files: Sequence[InputFile],
    connections: int = 100,
    timeout_s: float = 1800.0,
) -> RunResult:
    """The same files through the official sample's flow (see `bench.sample`)."""
    with scenario(label, storage, emulator_args) as app:
        settings = Settings.from_env()
        sample_files = []
        for name, data, metadata in files:
            document = documents.build_document(name, data, metadata, settings, None)
            bodies = [job.body(description=f"sample: {name}") for job in document.jobs]
            sample_files.append(SampleFile(name, bodies))
        run = run_sample(
            app.emulator.endpoint,
            app.emulator.key or "",
            sample_files,
            poll_s,
            connections,
            timeout_s,
        )
        stats: dict[str, Any] = emulator_stats(app.emulator.endpoint)
    results = [
        FileResult(
            f.name,
            "delivered" if f.failed is None and f.done else "failed",
            f.started,
            f.done,
            f.span_s,
            f.failed,
        )
        for f in sample_files
    ]
    result = RunResult(label, results, run.wall_s, saw_429=sum(f.saw_429 for f in sample_files))
    for op, by_status in requests_by_operation(stats).items():
        for code, n in by_status.items():
            result.requests[(op, int(code))] += n
    client_counts: Counter = Counter()
    for (op, _), n in run.requests.items():
        client_counts[op] += n
    result.client_counts = dict(client_counts)
    return result
