"""Figures 1-3: requests per delivered file, added latency, throughput under throttling.

1 and 2 come from one run: a mix of text files of different sizes dropped at once,
through the app's own triggers at the (scaled) default poll schedule, and the same files
through the official sample's flow (`bench.sample`) against a fresh emulator with the
same latency model and rate limit. 3 drops many small files at once against the rate
limit and compares the total time with the floor the rate limit allows.
"""

from __future__ import annotations

import math
import random

from bench.common import Scale, percentile, prose_file
from bench.runs import InputFile, RunResult, run_baseline, run_pipeline
from bench.table import Row, fmt
from devtools.localstack import Azurite

__all__ = ["mixed_files", "small_files", "requests_and_latency", "throughput"]

OPERATIONS = ("create", "get", "list", "delete", "voices")


def mixed_files(count: int, low: int, high: int, seed: int = 1) -> list[InputFile]:
    """`count` text files of log-uniformly mixed size between `low` and `high` characters."""
    rng = random.Random(seed)
    files = []
    for i in range(count):
        size = int(math.exp(rng.uniform(math.log(low), math.log(high))))
        files.append((f"mix/{i:04d}.txt", prose_file(rng, size).encode(), {}))
    return files


def small_files(count: int, seed: int = 2) -> list[InputFile]:
    """Small text files (one or two sentences), WAV output so synthesis stays cheap."""
    rng = random.Random(seed)
    metadata = {"outputformat": "riff-24khz-16bit-mono-pcm"}
    return [(f"small/{i:05d}.txt", prose_file(rng, 40).encode(), metadata) for i in range(count)]


def _per_file(run: RunResult, op: str, status: int | None = None) -> float | None:
    if not run.delivered:
        return None
    return run.by_operation(status)[op] / run.delivered


def requests_and_latency(storage: Azurite, scale: Scale, files: list[InputFile]) -> list[Row]:
    timeout = 600.0
    ours = run_pipeline(
        "flow", storage, scale.emulator_args(), scale.poll_s, files, timeout_s=timeout
    )
    base = run_baseline(
        "sample", storage, scale.emulator_args(), scale.sample_poll_s, files, timeout_s=timeout
    )
    n = len(files)
    sizes = sorted(len(data) for _, data, _ in files)
    rows = []
    scope = (
        f"{n} files {sizes[0]}-{sizes[-1]} B; delivered {ours.delivered}/{n} "
        f"(sample {base.delivered}/{n})"
    )
    for op in OPERATIONS:
        value, baseline = _per_file(ours, op), _per_file(base, op)
        if not (value or baseline):
            continue
        rows.append(Row("1 requests/file", op, fmt(value), "-", fmt(baseline)))
    rows.append(
        Row(
            "1 requests/file",
            "total (all ops)",
            fmt(_total(ours)),
            "fewer is better",
            fmt(_total(base)),
            scope,
        )
    )
    rows.append(
        Row(
            "1 requests/file",
            "  of which 429",
            fmt(_total(ours, 429)),
            "0 ideally",
            fmt(_total(base, 429)),
            f"429s in all: {ours.throttled} (sample {base.throttled})",
        )
    )
    poll = scale.poll_s
    goal = 0.6 * poll + 1.0
    p50, p95 = percentile(ours.added, 50), percentile(ours.added, 95)
    b50, b95 = percentile(base.added, 50), percentile(base.added, 95)
    measured = f"measured on {len(ours.added)} files (sample {len(base.added)})"
    rows.append(
        Row(
            "2 added latency",
            f"p50 (poll {poll} s)",
            fmt(p50, " s"),
            f"<= {goal:.1f} s",
            fmt(b50, " s"),
            f"{'meets' if p50 <= goal else 'MISSES'} goal; {measured}",
        )
    )
    rows.append(
        Row(
            "2 added latency",
            "p95",
            fmt(p95, " s"),
            "-",
            fmt(b95, " s"),
            f"ticks: {len(ours.ticks)}, longest {max(ours.ticks, default=0):.1f} s, "
            f"median {percentile(ours.ticks, 50):.2f} s",
        )
    )
    for stage, values in _stage_values(ours).items():
        rows.append(
            Row(
                "2 added latency",
                f"  {stage} p50 / p95",
                f"{fmt(percentile(values, 50))} / {fmt(percentile(values, 95))} s",
                "-",
                "-",
                _STAGE_NOTES[stage],
            )
        )
    rows.append(
        Row(
            "1+2 run",
            "wall time",
            fmt(ours.wall_s, " s", 1),
            "-",
            fmt(base.wall_s, " s", 1),
            _failures(ours, base),
        )
    )
    return rows


def _stage_values(run: RunResult) -> dict[str, list[float]]:
    stages: dict[str, list[float]] = {stage: [] for stage in _STAGE_NOTES}
    for result in run.files:
        for stage, seconds in result.stages.items():
            stages[stage].append(seconds)
    return stages


_STAGE_NOTES = {
    "submit": "blob landed -> its jobs created (blob trigger)",
    "poll wait": "last job finished at the service -> the tick that saw it began delivery",
    "deliver": "delivery began -> manifest (download zip, restage audio, timings)",
}


def _total(run: RunResult, status: int | None = None) -> float | None:
    if not run.delivered:
        return None
    return sum(run.by_operation(status).values()) / run.delivered


def _failures(ours: RunResult, base: RunResult) -> str:
    parts = [f"failed/unfinished: {ours.failed} (sample {base.failed})"]
    errors = {f.error for f in ours.files if f.error}
    if errors:
        parts.append("errors: " + "; ".join(sorted(errors))[:200])
    if ours.trigger_errors:
        parts.append(f"trigger exceptions: {ours.trigger_errors}")
    return ", ".join(parts)


def throughput(storage: Azurite, scale: Scale, files: list[InputFile]) -> list[Row]:
    """Many small files at once under the (scaled) rate limit."""
    timeout = 1200.0
    # Latency model: the scaled queue delay, synthesis as fast as espeak goes (the files
    # are small; the rate limit, not synthesis, should be what bounds this run).
    args = [*scale.emulator_args(latency=False), "--queue-delay", f"{30 / scale.k:g}"]
    ours = run_pipeline("burst", storage, args, scale.poll_s, files, timeout_s=timeout)
    base = run_baseline("burstsample", storage, args, scale.sample_poll_s, files, timeout_s=timeout)
    n = len(files)
    rate = scale.rate_per_s
    floor_min = 3 * n / rate  # create + one GET + delete per file
    ok = sum(v for (_, code), v in ours.requests.items() if code != 429)
    floor_ours = ok / rate
    base_ok = sum(v for (_, code), v in base.requests.items() if code != 429)
    rows = [
        Row(
            "3 throttling",
            f"total time, {n} files",
            fmt(ours.wall_s, " s", 1),
            f"floor {floor_min:.1f} s",
            fmt(base.wall_s, " s", 1),
            f"rate {rate:g}/s; floor = 3 req/file (create, GET, DELETE) / rate; "
            f"its own {ok} non-429 requests / rate = {floor_ours:.1f} s "
            f"(sample {base_ok} -> {base_ok / rate:.1f} s)",
        ),
        Row(
            "3 throttling",
            "x floor",
            fmt(ours.wall_s / floor_min, "x", 1),
            "close to 1x",
            fmt(base.wall_s / floor_min, "x", 1),
        ),
        Row(
            "3 throttling",
            "429s received",
            str(ours.throttled),
            "-",
            str(base.throttled),
            _by_op_429(ours),
        ),
        Row(
            "3 throttling",
            "429s -> failed files",
            str(ours.failed),
            "0",
            f"{base.saw_429} (as written)",
            f"delivered {ours.delivered}/{n}; sample retrying on 429: {base.delivered}/{n}"
            + (f"; trigger exceptions {ours.trigger_errors}" if ours.trigger_errors else ""),
        ),
        Row(
            "3 throttling",
            "  submit/poll wait/deliver p95",
            " / ".join(fmt(percentile(v, 95)) for v in _stage_values(ours).values()) + " s",
            "-",
            "-",
            f"ticks: {len(ours.ticks)}, longest {max(ours.ticks, default=0):.1f} s; "
            f"last manifest {_last_manifest_s(ours):.1f} s after the first blob landed",
        ),
    ]
    return rows


def _last_manifest_s(run: RunResult) -> float:
    first = min(f.landed for f in run.files)
    return max((f.done or first) - first for f in run.files)


def _by_op_429(run: RunResult) -> str:
    counts = run.by_operation(429)
    listed = ", ".join(f"{op} {n}" for op, n in sorted(counts.items()) if n)
    return "429 by op: " + (listed or "none")
