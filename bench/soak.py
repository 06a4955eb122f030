"""`make soak`: a few hundred files through the app's own triggers, with faults everywhere.

Nothing lost, nothing doubled. The soak starts Azurite and the batch synthesis emulator
on free ports, drops a corpus of text, SSML and JSON files (and a few bad ones on
purpose) into the input container over a while, and runs the app's real trigger
functions (`devtools.runner.LocalRunner` over `function_app.app`) while it

- switches emulator faults on: 500/503 on every operation, 429 bursts toggled on and
  off, failed jobs, failed single inputs, stuck jobs, slow responses;
- delivers every blob event one to three times, some late, in shuffled order, and
  redelivers events whose trigger call failed (as Event Grid does);
- interrupts the triggers at random points, before *or after* any call the pipeline
  makes to Table storage, Blob storage or the speech service (a crash: the host logs and
  moves on; the service may have done what we never recorded);
- sometimes runs two timer calls at once;
- uploads a new version of a few files while the old one is in flight.

Then it stops injecting faults, lets everything settle (bounded), runs the pipeline's
cleanup ticks, checks every output and prints a table of figures. It exits non-zero if a
must-be-zero figure is not zero.

    python -m bench.soak --files 300 --seed 1 --minutes 8

`JOB_TIMEOUT_MINUTES` is a whole number of minutes, so stuck jobs end `timeout` one
minute after their file was accepted: `--minutes` should leave a minute and a half
after the last drop (the default schedule does).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import re
import secrets
import sys
import tempfile
import threading
import time
import wave
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from azure.data.tables import TableServiceClient
from azure.storage.blob import BlobServiceClient

import function_app
from devtools.localstack import app_settings, azurite, emulator
from devtools.runner import LocalRunner, app_environment
from shared import pipeline
from shared.audio import parse_format, split_piece
from shared.jobs import FileRecord, JobStore, file_id_for
from shared.speech import SpeechClient

__all__ = ["Interrupted", "SoakConfig", "SoakResult", "main", "run_soak"]

logger = logging.getLogger("speechdrop.soak")

INPUT_CONTAINER = "input"
OUTPUT_CONTAINER = "output"
JOBS_TABLE = "soakjobs"
#: Figures that must be zero; any other figure is information.
MUST_BE_ZERO = (
    "lost",
    "duplicate jobs",
    "outputs not matching inputs",
    "manifests without complete outputs",
    "conflicting outcomes",
    "bad files delivered",
    "leftover jobs at the service",
)


class Interrupted(BaseException):
    """An injected crash: the invocation dies here (not an `Exception`, so no handler in
    the pipeline swallows it, just as none would survive the host killing the worker)."""


# -- configuration ------------------------------------------------------------------------


@dataclass
class SoakConfig:
    files: int = 300
    seed: int = 1
    minutes: float = 8.0
    #: Share of the run with faults on (the rest settles); drops end at 70 % of it.
    fault_share: float = 0.55
    #: Probability that a call of a timer invocation is interrupted (before or after).
    tick_interrupt: float = 0.003
    #: The same for a blob-trigger invocation (it makes fewer calls).
    accept_interrupt: float = 0.03
    #: Probability that a timer moment runs two timer calls at once.
    concurrent_ticks: float = 0.3
    tick_interval: float = 1.0
    #: Emulator faults while they are on.
    server_errors: float = 0.03  # each of 500 and 503, every operation
    burst_429: float = 0.8
    burst_every: float = 30.0
    burst_seconds: float = 6.0
    fail_job: float = 0.04
    fail_input: float = 0.01
    stuck_job: float = 0.03
    slow_ms: int = 150
    slow_probability: float = 0.2
    #: Share of files uploaded again (a new version) while the first is in flight.
    rewrites: float = 0.03
    job_timeout_minutes: int = 1
    #: The pipeline's leases, scaled down with the run. Safe here: a PUT to the local
    #: emulator (slow answers, Retry-After 1 s) ends well within the submit lease.
    submit_lease_seconds: float = 15.0
    delivery_lease_seconds: float = 20.0
    max_inputs_per_job: int = 5
    rate_limit: int = 2000
    log_dir: Path | None = None

    @property
    def seconds(self) -> float:
        return self.minutes * 60


# -- the corpus ---------------------------------------------------------------------------

_WORDS = (
    "river morning garden window letter quiet bright winter summer station market harbor "
    "village mountain forest kitchen teacher doctor engine pocket silver golden yellow green "
    "gentle careful sudden patient simple narrow ancient modern little heavy light distant "
    "walked carried opened listened waited painted answered followed remembered noticed "
    "always never often slowly quickly together outside inside before after during across "
    "the a an and but with under over near through beside between every some many few "
    "old young small large long short early late warm cold soft loud clear dark happy"
).split()

_BAD_KINDS = ("encoding", "empty", "extension", "ssml", "job", "metadata", "voice")


@dataclass
class InputFile:
    name: str
    data: bytes
    metadata: dict[str, str]
    words: int  # spoken words (0 for bad files)
    bad: str | None = None  # the error code a bad file should end with


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(5, 13))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))


def _text_file(rng: random.Random, name: str) -> InputFile:
    paragraphs = [_paragraph(rng) for _ in range(rng.choice((1, 1, 2, 3, 4, 6, 8, 12)))]
    metadata: dict[str, str] = {}
    roll = rng.random()
    if roll < 0.12:
        metadata["outputformat"] = "riff-24khz-16bit-mono-pcm"
    elif roll < 0.18:
        metadata["concatenate"] = "false"
    elif roll < 0.24:
        metadata["voice"] = "en-GB-SoniaNeural"
    text = "\n".join(paragraphs) + "\n"
    return InputFile(name, text.encode(), metadata, len(text.split()))


def _ssml_file(rng: random.Random, name: str) -> InputFile:
    documents, words = [], 0
    for _ in range(rng.randint(1, 2)):
        first, second = _paragraph(rng), _paragraph(rng)
        words += len(first.split()) + len(second.split())
        documents.append(
            '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
            f'<voice name="en-US-GuyNeural">{first} <break time="200ms"/> {second}</voice>'
            "</speak>"
        )
    return InputFile(name, "\n".join(documents).encode(), {}, words)


def _json_file(rng: random.Random, name: str) -> InputFile:
    inputs = [_paragraph(rng) for _ in range(rng.randint(1, 7))]
    document = {
        "inputKind": "PlainText",
        "inputs": [{"content": text} for text in inputs],
        "synthesisConfig": {"voice": "en-US-AndrewNeural"},
        "properties": {
            "outputFormat": rng.choice(
                ("riff-24khz-16bit-mono-pcm", "audio-24khz-96kbitrate-mono-mp3")
            ),
            "wordBoundaryEnabled": True,
            "sentenceBoundaryEnabled": True,
        },
        "description": "soak",
    }
    words = sum(len(text.split()) for text in inputs)
    return InputFile(name, json.dumps(document).encode(), {}, words)


def _bad_file(kind: str, n: int) -> InputFile:
    text = "A perfectly good sentence."
    if kind == "encoding":
        return InputFile(f"bad/{n:04d}-latin1.txt", "Ça ne va pas.".encode("latin-1"), {}, 0, kind)
    if kind == "empty":
        return InputFile(f"bad/{n:04d}-empty.txt", b"  \n", {}, 0, kind)
    if kind == "extension":
        return InputFile(f"bad/{n:04d}-report.pdf", b"%PDF-1.4", {}, 0, kind)
    if kind == "ssml":
        return InputFile(f"bad/{n:04d}-broken.ssml", b"<speak><voice>unclosed</speak>", {}, 0, kind)
    if kind == "job":
        body = {"inputKind": "PlainText", "inputs": [{"content": text}], "sneaky": True}
        return InputFile(f"bad/{n:04d}-job.json", json.dumps(body).encode(), {}, 0, kind)
    if kind == "metadata":
        return InputFile(f"bad/{n:04d}-meta.txt", text.encode(), {"colour": "blue"}, 0, kind)
    voice = {"voice": "en-US-NobodyNeural"}
    return InputFile(f"bad/{n:04d}-voice.txt", text.encode(), voice, 0, kind)


def build_corpus(count: int, seed: int) -> list[InputFile]:
    """`count` files: mostly text, some SSML and JSON, about 4 % bad ones on purpose."""
    rng = random.Random(seed)
    files: list[InputFile] = []
    bad = max(1, round(count * 0.04)) if count >= 10 else 1
    for n in range(count - bad):
        roll = rng.random()
        folder = f"batch-{n % 7}"
        if roll < 0.05:
            files.append(_ssml_file(rng, f"{folder}/doc-{n:04d}.ssml"))
        elif roll < 0.10:
            files.append(_json_file(rng, f"{folder}/job-{n:04d}.json"))
        else:
            files.append(_text_file(rng, f"{folder}/text-{n:04d}.txt"))
    for n in range(bad):
        files.append(_bad_file(_BAD_KINDS[n % len(_BAD_KINDS)], n))
    rng.shuffle(files)
    return files


# -- interruptions ------------------------------------------------------------------------


@dataclass
class ChaosEvent:
    at: float
    thread: str
    context: str
    operation: str
    when: str  # "before" or "after"
    key: str


class Chaos:
    """Decides, per call, whether the invocation dies before or after it; keeps a log."""

    def __init__(self, seed: int, tick_p: float, accept_p: float) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._local = threading.local()
        self.probability = {"tick": tick_p, "accept": accept_p}
        self.enabled = False
        self.started = time.monotonic()
        self.log: list[ChaosEvent] = []

    @contextmanager
    def context(self, name: str) -> Iterator[None]:
        self._local.context = name
        try:
            yield
        finally:
            self._local.context = None

    def point(self, operation: str, when: str, key: str) -> None:
        context = getattr(self._local, "context", None)
        if not self.enabled or context is None:
            return
        with self._lock:
            hit = self._rng.random() < self.probability[context] / 2
            if hit:
                event = ChaosEvent(
                    round(time.monotonic() - self.started, 2),
                    threading.current_thread().name,
                    context,
                    operation,
                    when,
                    key,
                )
                self.log.append(event)
        if hit:
            raise Interrupted(f"{operation} ({when} the call)")


@dataclass
class Ledger:
    """What the pipeline did at the service and in the output container, as seen by the
    proxies (successful calls only)."""

    creates: list[tuple[float, str]] = field(default_factory=list)
    deletes: list[tuple[float, str, str]] = field(default_factory=list)  # job id, last status
    manifests: list[tuple[float, str, str, str]] = field(default_factory=list)  # path, etag, status
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, entry: tuple) -> None:
        with self.lock:
            getattr(self, kind).append(entry)


def _key_of(args: tuple, kwargs: dict) -> str:
    value = args[0] if args else next(iter(kwargs.values()), "")
    if isinstance(value, FileRecord):
        return f"{value.file_id} {value.blob_name}"
    return value if isinstance(value, str) else ""


class _Proxy:
    """Wraps a collaborator of the pipeline: chosen methods may be interrupted."""

    def __init__(
        self,
        target: Any,
        name: str,
        chaos: Chaos,
        methods: frozenset[str],
        after: Callable[[str, tuple, dict, Any], Any] | None = None,
        key: str = "",
        interrupt: bool = True,
    ) -> None:
        self._target = target
        self._name = name
        self._chaos = chaos
        self._methods = methods
        self._after = after
        self._key = key
        self._interrupt = interrupt

    def __getattr__(self, attribute: str) -> Any:
        value = getattr(self._target, attribute)
        if attribute not in self._methods or not callable(value):
            return value
        operation = f"{self._name}.{attribute}"

        def call(*args: Any, **kwargs: Any) -> Any:
            key = self._key or _key_of(args, kwargs)
            if self._interrupt:
                self._chaos.point(operation, "before", key)
            result = value(*args, **kwargs)
            if self._after is not None:
                result = self._after(attribute, args, kwargs, result)
            if self._interrupt:
                self._chaos.point(operation, "after", key)
            return result

        return call


def install_proxies(target: pipeline.Pipeline, chaos: Chaos, ledger: Ledger) -> None:
    """Wrap the default pipeline's store, speech client and blob containers."""
    started = chaos.started

    seen: dict[str, str] = {}  # job id -> the status the pipeline last saw

    def listing(jobs: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for job in jobs:
            seen[job["id"]] = job["status"]
            yield job

    def speech_after(method: str, args: tuple, kwargs: dict, result: Any) -> Any:
        job_id = args[0] if args else kwargs.get("job_id", "")
        if method == "create":
            ledger.add("creates", (time.monotonic() - started, job_id))
        elif method == "get" and result:
            seen[job_id] = result["status"]
        elif method == "list":
            return listing(result)
        elif method == "delete" and result:
            ledger.add("deletes", (time.monotonic() - started, job_id, seen.get(job_id, "?")))
        return result

    def blob_after(container: str) -> Callable[[str, tuple, dict, Any], Any]:
        def after(method: str, args: tuple, kwargs: dict, result: Any) -> Any:
            if method != "get_blob_client":
                return result
            name = args[0] if args else kwargs.get("blob", "")

            def upload_after(m: str, a: tuple, k: dict, r: Any) -> Any:
                if m == "upload_blob" and name.endswith("/manifest.json"):
                    data = a[0] if a else k.get("data")
                    document = json.loads(data)
                    entry = (document["source"]["etag"], document["status"])
                    ledger.add("manifests", (time.monotonic() - started, name, *entry))
                return r

            return _Proxy(
                result,
                f"{container}.blob",
                chaos,
                frozenset(
                    {
                        "get_blob_properties",
                        "download_blob",
                        "upload_blob",
                        "stage_block",
                        "commit_block_list",
                    }
                ),
                upload_after,
                key=name,
            )

        return after

    store_methods = frozenset({"add", "get", "save", "active_ids", "retire_marker"})
    speech_methods = frozenset({"create", "get", "list", "delete", "download", "voices"})
    target.store = _Proxy(target.store, "store", chaos, store_methods)  # type: ignore[assignment]
    target.speech = _Proxy(  # type: ignore[assignment]
        target.speech, "speech", chaos, speech_methods, speech_after
    )
    target.voices._speech = target.speech  # the voice catalog holds the client too
    for attribute, container in (("_input", "input"), ("_output", "output")):
        setattr(
            target,
            attribute,
            _Proxy(
                getattr(target, attribute),
                container,
                chaos,
                frozenset({"get_blob_client"}),
                blob_after(container),
                interrupt=False,  # only the blob operations themselves
            ),
        )


# -- the run ------------------------------------------------------------------------------


@dataclass
class Version:
    name: str
    etag: str
    file: InputFile
    latest: bool = True


@dataclass
class SoakResult:
    figures: dict[str, Any]
    failed_by_code: Counter
    problems: list[str]
    notes: list[str]
    wall_seconds: float
    chaos: list[ChaosEvent]

    @property
    def ok(self) -> bool:
        return all(not self.figures[name] for name in MUST_BE_ZERO)

    def table(self) -> str:
        rows = [
            (name, str(value), "yes" if name in MUST_BE_ZERO else "")
            for name, value in self.figures.items()
        ]
        for code, count in sorted(self.failed_by_code.items()):
            rows.append((f"  failed: {code}", str(count), ""))
        header = ("figure", "value", "must be 0")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        for row in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        return "\n".join(lines)


class _Soak:
    def __init__(self, config: SoakConfig, say: Callable[[str], None]) -> None:
        self.config = config
        self.say = say
        self.rng = random.Random(config.seed)
        self.chaos = Chaos(config.seed + 1, config.tick_interrupt, config.accept_interrupt)
        self.ledger = Ledger()
        self.versions: list[Version] = []
        self.events: list[tuple[float, str, int]] = []  # due, name, attempt
        self.counts: Counter = Counter()
        self.stop_ticking = threading.Event()
        self.started = time.monotonic()

    # -- helpers ------------------------------------------------------------------------

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def faults(self, **settings: Any) -> None:
        httpx.post(f"{self.speech_endpoint}/emulator/faults", json=settings).raise_for_status()

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.speech_endpoint}/emulator/stats").json()

    def drop(self, file: InputFile, *, late: bool = True) -> None:
        blob = self.input.get_blob_client(file.name)
        etag = blob.upload_blob(file.data, overwrite=True, metadata=file.metadata or None)["etag"]
        for version in self.versions:
            if version.name == file.name:
                version.latest = False
        self.versions.append(Version(file.name, etag, file))
        copies = self.rng.choice((1, 1, 2, 2, 3))
        now = self.elapsed()
        for _ in range(copies):
            roll = self.rng.random()
            delay = self.rng.uniform(0, 1.5) if roll < 0.75 else self.rng.uniform(3, 15)
            if not late:
                delay = 0
            self.events.append((now + delay, file.name, 0))
        self.counts["events scheduled"] += copies

    def deliver_due(self, everything: bool = False) -> None:
        now = self.elapsed()
        due = [e for e in self.events if everything or e[0] <= now]
        if not due:
            return
        self.events = [e for e in self.events if not (everything or e[0] <= now)]
        self.rng.shuffle(due)
        for _, name, attempt in due:
            self.counts["events delivered"] += 1
            try:
                with self.chaos.context("accept"):
                    self.runner.deliver_event(name)
            except Interrupted:
                self.counts["blob-trigger calls interrupted"] += 1
                self._redeliver(name, attempt)
            except Exception as error:  # noqa: BLE001 - the host logs it; Event Grid retries
                self.counts["blob-trigger calls failed (other)"] += 1
                logger.warning("blob trigger failed on %s: %r", name, error)
                self._redeliver(name, attempt)

    def _redeliver(self, name: str, attempt: int) -> None:
        backoff = min(2.0 ** (attempt + 1), 20.0) * self.rng.uniform(0.5, 1.0)
        self.events.append((self.elapsed() + backoff, name, attempt + 1))
        self.counts["events redelivered after a failure"] += 1

    def one_tick(self) -> None:
        try:
            with self.chaos.context("tick"):
                self.runner.tick()
            self.counts["timer calls"] += 1
        except Interrupted:
            self.counts["timer calls"] += 1
            self.counts["timer calls interrupted"] += 1
        except BaseException as error:  # noqa: BLE001 - the host logs it and runs the next
            self.counts["timer calls"] += 1
            self.counts["timer calls failed (other)"] += 1
            logger.warning("timer call failed: %r", error)

    def ticker(self) -> None:
        while not self.stop_ticking.is_set():
            concurrent = self.chaos.enabled and self.rng.random() < self.config.concurrent_ticks
            threads = [
                threading.Thread(target=self.one_tick, name=f"tick-{self.counts['moments']}-{n}")
                for n in range(2 if concurrent else 1)
            ]
            self.counts["moments"] += 1
            self.counts["moments with two timer calls at once"] += concurrent
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.stop_ticking.wait(self.config.tick_interval)

    # -- phases -------------------------------------------------------------------------

    def run(self, files: list[InputFile]) -> SoakResult:
        config = self.config
        fault_end = config.seconds * config.fault_share
        drop_end = fault_end * 0.7
        deadline = config.seconds - min(20.0, 0.15 * config.seconds)  # time for the checks
        rewrites = [f for f in files if f.bad is None and self.rng.random() < config.rewrites]
        drop_times = sorted(self.rng.uniform(0, drop_end) for _ in files)
        drop_times[0] = 0.0
        schedule = list(zip(drop_times, files, strict=True))
        rewrite_schedule = sorted((self.rng.uniform(2, drop_end + 5), f) for f in rewrites)

        self.chaos.enabled = True
        self.faults(**self._base_faults(), seed=config.seed)
        ticker = threading.Thread(target=self.ticker, name="ticker")
        ticker.start()
        try:
            burst = False
            self.say(f"faults on for {fault_end:.0f} s; dropping {len(files)} files")
            while self.elapsed() < fault_end:
                now = self.elapsed()
                while schedule and schedule[0][0] <= now:
                    self.drop(schedule.pop(0)[1])
                while rewrite_schedule and rewrite_schedule[0][0] <= now:
                    self._rewrite(rewrite_schedule.pop(0)[1])
                in_burst = (now % config.burst_every) > config.burst_every - config.burst_seconds
                if in_burst != burst:
                    burst = in_burst
                    errors = {"*": {"429": config.burst_429}} if burst else self._errors()
                    self.faults(errors=errors)
                    self.counts["429 bursts"] += burst
                self.deliver_due()
                time.sleep(0.05)
            for _, file in schedule:  # a run too short for its schedule drops the rest now
                self.drop(file)

            self.say(f"faults off at {self.elapsed():.0f} s; settling")
            self.chaos.enabled = False
            self.faults(errors={}, fail_job=0, fail_input=0, stuck_job=0, slow_ms=0)
            self.deliver_due(everything=True)
            while self.events:
                self.deliver_due(everything=True)
            settled_at = self._settle(deadline)
        finally:
            self.stop_ticking.set()
            ticker.join()
        # cleanup: the pipeline's own, two more timer calls after everything settled
        for _ in range(2):
            self.one_tick()
        self.counts["settled at (s)"] = round(settled_at) if settled_at else None
        return self.check()

    def _base_faults(self) -> dict[str, Any]:
        c = self.config
        return {
            "errors": self._errors(),
            "fail_job": c.fail_job,
            "fail_input": c.fail_input,
            "stuck_job": c.stuck_job,
            "slow_ms": c.slow_ms,
            "slow_probability": c.slow_probability,
        }

    def _errors(self) -> dict[str, dict[str, float]]:
        p = self.config.server_errors
        return {"*": {"500": p, "503": p}} if p else {}

    def _rewrite(self, file: InputFile) -> None:
        text = (_paragraph(self.rng) + "\n").encode()
        self.drop(InputFile(file.name, text, file.metadata, len(text.split())))
        self.counts["files uploaded again (new version)"] += 1

    def _settle(self, deadline: float) -> float | None:
        while self.elapsed() < deadline:
            if self._unsettled() == []:
                return self.elapsed()
            time.sleep(1.0)
        return None

    def _unsettled(self) -> list[str]:
        pending = []
        for version in self.versions:
            record = self.reader.get(file_id_for(version.name, version.etag))
            if record is None and version.latest:
                pending.append(f"{version.name} (no record)")
            elif record is not None and not record.state.is_final:
                pending.append(f"{version.name} ({record.state.value})")
        if not pending and self.reader.active_ids():
            pending.append("active markers left")
        return pending

    # -- checks -------------------------------------------------------------------------

    def check(self) -> SoakResult:
        problems: list[str] = []
        notes: list[str] = []
        failed_by_code: Counter = Counter()
        figures: dict[str, Any] = {}
        records = {record.file_id: record for record in self.reader.all_records()}
        latest = [v for v in self.versions if v.latest]
        older = [v for v in self.versions if not v.latest]

        figures["files dropped"] = len(latest)
        figures["versions dropped (incl. re-uploads)"] = len(self.versions)
        delivered = failed = lost = mismatched = incomplete = bad_delivered = 0
        timed_out_done = 0
        for version in latest:
            file_id = file_id_for(version.name, version.etag)
            record = records.get(file_id)
            trace = self._trace(version.name, file_id)
            if record is None or not record.state.is_final:
                lost += 1
                state = record.state.value if record else "no record"
                problems.append(f"LOST {version.name} v{version.etag}: {state}{trace}")
                continue
            manifest = (
                self._json(f"{record.outputs['folder']}/manifest.json")
                if (record.outputs)
                else None
            )
            if manifest is None or manifest["source"]["etag"] != version.etag:
                lost += 1
                what = "no manifest.json" if manifest is None else "manifest of another version"
                problems.append(
                    f"LOST {version.name}: final record ({record.state.value}"
                    f"{' ' + record.error['code'] if record.error else ''}) but {what}{trace}"
                )
                continue
            if manifest["status"] != record.state.value:
                mismatched += 1
                problems.append(
                    f"MISMATCH {version.name}: record {record.state.value}, "
                    f"manifest {manifest['status']}{trace}"
                )
            missing = self._missing_outputs(record.outputs["folder"], manifest)
            if missing:
                incomplete += 1
                problems.append(f"INCOMPLETE {version.name}: missing {missing}{trace}")
                continue
            if record.state.value == "delivered":
                delivered += 1
                if version.file.bad:
                    bad_delivered += 1
                    problems.append(f"BAD FILE DELIVERED {version.name} ({version.file.bad})")
                    continue
                issue = self._check_audio(version, manifest)
                if issue:
                    mismatched += 1
                    problems.append(f"OUTPUT {version.name}: {issue}{trace}")
            else:
                failed += 1
                code = record.error["code"] if record.error else "?"
                failed_by_code[code] += 1
                if code == "timeout" and all(p.status == "Succeeded" for p in record.parts):
                    timed_out_done += 1
                    notes.append(
                        f"{version.name} failed 'timeout' although all its jobs had succeeded "
                        f"(a delivery that did not finish){trace}"
                    )
                if version.file.bad and code != version.file.bad:
                    notes.append(f"{version.name} failed with {code}, expected {version.file.bad}")
        for version in older:
            record = records.get(file_id_for(version.name, version.etag))
            if record is not None and not record.state.is_final:
                lost += 1
                problems.append(f"LOST (old version) {version.name}: {record.state.value}")
        figures["delivered"] = delivered
        figures["failed"] = failed
        figures["lost"] = lost
        figures["failed 'timeout' with every job succeeded"] = timed_out_done

        jobs = self._job_figures(records, problems, notes)
        figures.update(jobs)
        figures["outputs not matching inputs"] = mismatched
        figures["manifests without complete outputs"] = incomplete
        figures["conflicting outcomes"] = self._conflicts(problems)
        figures["bad files delivered"] = bad_delivered
        figures.update(self._leftovers(records, problems, notes))
        figures.update({k: v for k, v in self.counts.items() if k not in ("moments",)})
        figures["interruptions (before the call)"] = sum(e.when == "before" for e in self.chaos.log)
        figures["interruptions (after the call)"] = sum(e.when == "after" for e in self.chaos.log)
        stats = self.stats()["requests"]
        answered = Counter()
        for by_status in stats.values():
            for status, count in by_status.items():
                answered[status] += count
        figures["service answers 429 / 500 / 503"] = (
            f"{answered['429']} / {answered['500']} / {answered['503']}"
        )
        return SoakResult(
            figures, failed_by_code, problems, notes, self.elapsed(), list(self.chaos.log)
        )

    def _trace(self, name: str, file_id: str) -> str:
        hits = [e for e in self.chaos.log if file_id in e.key or e.key.startswith(name)]
        if not hits:
            return ""
        steps = ", ".join(f"{e.at}s {e.context} {e.operation} {e.when}" for e in hits)
        return f"\n    interrupted: {steps}"

    def _json(self, path: str) -> dict[str, Any] | None:
        try:
            return json.loads(self.output.download_blob(path).readall())
        except Exception:  # noqa: BLE001 - missing or unreadable is the same finding here
            return None

    def _missing_outputs(self, folder: str, manifest: dict[str, Any]) -> list[str]:
        listed = list(manifest.get("audio", {}).get("files", []))
        listed += list(manifest.get("timings", {}).values())
        if manifest.get("error"):
            listed.append(manifest["error"])
        present = {b.name[len(folder) + 1 :] for b in self.output.list_blobs(f"{folder}/")}
        return [name for name in listed if name not in present]

    def _check_audio(self, version: Version, manifest: dict[str, Any]) -> str | None:
        folder = version.name
        audio_format = parse_format(manifest["outputFormat"])
        durations = []
        for name in manifest["audio"]["files"]:
            data = self.output.download_blob(f"{folder}/{name}").readall()
            if audio_format.kind == "riff":
                with wave.open(io.BytesIO(data)) as audio:
                    durations.append(1000 * audio.getnframes() / audio.getframerate())
            else:
                durations.append(split_piece(audio_format, data).duration_ms)
        total = sum(durations)
        if abs(manifest["audio"]["durationMs"] - total) > 3:
            return f"manifest says {manifest['audio']['durationMs']} ms, audio is {total:.0f} ms"
        words = version.file.words
        if not 100 * words <= total <= 1200 * words:
            return f"{total:.0f} ms of audio for {words} words"
        if "words" not in manifest.get("timings", {}):
            return "no words.json"
        timings = self._json(f"{folder}/{manifest['timings']['words']}") or []
        if not 0.5 * words <= len(timings) <= 1.5 * words:
            return f"{len(timings)} timed words for {words} words"
        if manifest.get("concatenated", True):
            groups = {0: timings}
            limits = {0: total}
        else:
            groups = defaultdict(list)
            for word in timings:
                groups[word["Input"] - 1].append(word)
            limits = dict(enumerate(durations))
        for group, group_words in groups.items():
            offsets = [w["AudioOffset"] for w in group_words]
            if offsets != sorted(offsets):
                return "words.json offsets out of order"
            limit = limits.get(group)
            if limit is None:
                return f"words.json names input {group + 1}, which has no audio"
            if any(
                w["AudioOffset"] < 0 or w["AudioOffset"] + w["Duration"] > limit + 50
                for w in group_words
            ):
                return "words.json offsets outside the audio"
        return None

    def _job_figures(
        self, records: dict[str, FileRecord], problems: list[str], notes: list[str]
    ) -> dict[str, Any]:
        created = Counter(job_id for _, job_id in self.ledger.creates)
        deleted_at: dict[str, tuple[float, str]] = {}
        for at, job_id, status in self.ledger.deletes:
            deleted_at.setdefault(job_id, (at, status))
        created_at = {job_id: at for at, job_id in reversed(self.ledger.creates)}
        duplicates = retries = unknown = 0
        per_version: Counter = Counter()
        pattern = re.compile(r"^sd-(?P<file>.+)-(?P<part>\d{3})(?:-r(?P<attempt>\d+))?$")
        for job_id, count in created.items():
            match = pattern.match(job_id)
            record = records.get(match["file"]) if match else None
            if record is None:
                unknown += count
                problems.append(f"DUPLICATE job {job_id} belongs to no recorded file version")
                continue
            per_version[record.file_id] += count
            if count > 1:
                duplicates += count - 1
                problems.append(f"DUPLICATE job {job_id} created {count} times")
            attempt = int(match["attempt"] or 0)
            if attempt:
                retries += 1
                previous = f"sd-{match['file']}-{match['part']}" + (
                    f"-r{attempt - 1}" if attempt > 1 else ""
                )
                at, status = deleted_at.get(previous, (None, None))
                if at is not None and at < created_at[job_id] and status == "Succeeded":
                    # its results were there; the pipeline threw them away and synthesized
                    # the part again (a failed job retried is the documented case)
                    duplicates += 1
                    trace = self._trace(record.blob_name, record.file_id)
                    problems.append(
                        f"DUPLICATE job {job_id} for {record.blob_name}: the pipeline itself "
                        f"deleted {previous} (Succeeded) at {at:.1f}s and then submitted the "
                        f"part again at {created_at[job_id]:.1f}s{trace}"
                    )
                elif at is None:
                    notes.append(f"retry {job_id}: {previous} vanished at the service")
        stats_created = sum(
            count
            for status, count in self.stats()["requests"].get("create", {}).items()
            if status == "201"
        )
        if stats_created != len(self.ledger.creates):
            notes.append(
                f"the service answered 201 to {stats_created} PUTs; the pipeline saw "
                f"{len(self.ledger.creates)} succeed (the rest were interrupted after the call "
                "returned or are counted twice)"
            )
        most = max(per_version.values(), default=0)
        parts = {fid: len(r.parts) for fid, r in records.items()}
        extra = sum(max(0, n - parts.get(fid, 0)) for fid, n in per_version.items())
        return {
            "jobs created": len(self.ledger.creates),
            "jobs created (service count of 201s)": stats_created,
            "jobs created beyond one per part": extra,
            "most jobs for one file version": most,
            "retries -rN (all)": retries,
            "duplicate jobs": duplicates + unknown,
        }

    def _conflicts(self, problems: list[str]) -> int:
        outcomes: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
        for at, path, etag, status in self.ledger.manifests:
            outcomes[(path, etag)].append((at, status))
        conflicts = 0
        for (path, etag), writes in outcomes.items():
            if len({status for _, status in writes}) > 1:
                conflicts += 1
                sequence = " -> ".join(f"{status} at {at:.1f}s" for at, status in writes)
                name = path[: -len("/manifest.json")]
                trace = self._trace(name, file_id_for(name, etag))
                problems.append(f"CONFLICT {path} (v{etag}): manifest {sequence}{trace}")
        return conflicts

    def _leftovers(
        self, records: dict[str, FileRecord], problems: list[str], notes: list[str]
    ) -> dict[str, int]:
        leftover = stuck = 0
        with closing(SpeechClient(self.speech_endpoint, key=self.speech_key)) as speech:
            jobs = list(speech.list())
        for job in jobs:
            file_id = job["id"][3:].rsplit("-", 1)[0]
            file_id = re.sub(r"-\d{3}$", "", file_id)
            record = records.get(file_id)
            timed_out = record is not None and (record.error or {}).get("code") == "timeout"
            if job["status"] in ("NotStarted", "Running") and timed_out:
                stuck += 1
                continue
            leftover += 1
            owner = f"{record.blob_name} ({record.state.value})" if record else "no record"
            problems.append(f"LEFTOVER job {job['id']} ({job['status']}) of {owner}")
        if stuck:
            notes.append(
                f"{stuck} stuck job(s) remain Running at the service: their files failed "
                "'timeout', and the emulator refuses DELETE of an unfinished job (as the "
                "service may); nothing retries the delete later."
            )
        return {
            "leftover jobs at the service": leftover,
            "stuck jobs left at the service (timed out, undeletable)": stuck,
        }


def run_soak(config: SoakConfig, say: Callable[[str], None] | None = None) -> SoakResult:
    """The whole soak: stack up, faults on, settle, check; returns the figures."""
    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    files = build_corpus(config.files, config.seed)
    key = secrets.token_hex(16)
    log_dir = config.log_dir
    with ExitStack() as stack:
        if log_dir is None:
            log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        log_dir.mkdir(parents=True, exist_ok=True)
        say("starting Azurite and the batch synthesis emulator ...")
        storage = stack.enter_context(azurite(log_dir=log_dir))
        speech = stack.enter_context(
            emulator(
                key=key,
                extra_args=["--rate-limit", str(config.rate_limit), "--queue-delay", "0.2"],
                log_dir=log_dir,
            )
        )
        settings = app_settings(
            storage,
            speech,
            INPUT_CONTAINER=INPUT_CONTAINER,
            OUTPUT_CONTAINER=OUTPUT_CONTAINER,
            JOBS_TABLE=JOBS_TABLE,
            POLL_SCHEDULE="*/1 * * * * *",
            JOB_TIMEOUT_MINUTES=str(config.job_timeout_minutes),
            MAX_INPUTS_PER_JOB=str(config.max_inputs_per_job),
        )
        stack.enter_context(app_environment(settings))
        stack.enter_context(_leases(config))
        blobs = stack.enter_context(
            BlobServiceClient.from_connection_string(storage.connection_string)
        )
        tables = stack.enter_context(
            TableServiceClient.from_connection_string(storage.connection_string)
        )
        soak = _Soak(config, say)
        soak.speech_endpoint, soak.speech_key = speech.endpoint, key
        soak.input = blobs.create_container(INPUT_CONTAINER)
        soak.output = blobs.get_container_client(OUTPUT_CONTAINER)
        soak.reader = JobStore(tables.get_table_client(JOBS_TABLE))
        soak.runner = LocalRunner(function_app.app, soak.input)
        soak.runner.function("poll_jobs")  # index the app once, before threads race to
        install_proxies(pipeline.default_pipeline(), soak.chaos, soak.ledger)
        return soak.run(files)


@contextmanager
def _leases(config: SoakConfig) -> Iterator[None]:
    """The pipeline's submit and delivery leases, scaled down for the run, then restored."""
    saved = pipeline.SUBMIT_LEASE, pipeline.DELIVERY_LEASE
    pipeline.SUBMIT_LEASE = timedelta(seconds=config.submit_lease_seconds)
    pipeline.DELIVERY_LEASE = timedelta(seconds=config.delivery_lease_seconds)
    try:
        yield
    finally:
        pipeline.SUBMIT_LEASE, pipeline.DELIVERY_LEASE = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300, help="input files to drop")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=8.0, help="bound on the whole run")
    parser.add_argument("--log-dir", type=Path, default=None, help="keep logs here")
    parser.add_argument("--tick-interrupt", type=float, default=SoakConfig.tick_interrupt)
    parser.add_argument("--accept-interrupt", type=float, default=SoakConfig.accept_interrupt)
    args = parser.parse_args(argv)
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="speechdrop-soak-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=log_dir / "soak.log",
        level=logging.INFO,
        format="%(asctime)s %(threadName)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("azure").setLevel(logging.WARNING)
    config = SoakConfig(
        files=args.files,
        seed=args.seed,
        minutes=args.minutes,
        tick_interrupt=args.tick_interrupt,
        accept_interrupt=args.accept_interrupt,
        log_dir=log_dir,
    )
    started = time.monotonic()
    result = run_soak(config)
    print(result.table())
    print(f"\nwall time {time.monotonic() - started:.0f} s; logs in {log_dir}")
    for line in result.notes:
        print(f"note: {line}")
    for line in result.problems:
        print(line)
    if not result.ok:
        failing = [name for name in MUST_BE_ZERO if result.figures[name]]
        print(f"\nFAILED: {', '.join(failing)} not zero", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
