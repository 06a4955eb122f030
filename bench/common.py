"""What the benchmark figures share: the time scale, the local stack, a host driver for
the app's own trigger functions, an observer of job timings, text generators, statistics.

**Scale.** Azure's latency and the app's poll interval are scaled down together by one
factor `k` so a run takes minutes, not hours: the timer's period (30 s by default in
code), the official sample's 5 s poll, the emulator's queue delay and its real-time
factor, and the rate-limit window (100 requests per 10 s) are all divided by `k` (the
real-time factor multiplied). What is not scaled is our own work (storage I/O, zips,
joining audio), the pipeline's own backoff constants and the emulator's `Retry-After`
(whole seconds, at least 1), so scaled runs are, if anything, pessimistic.
"""

from __future__ import annotations

import logging
import math
import queue
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from azure.storage.blob import BlobServiceClient, ContainerClient

import function_app
from devtools.localstack import Azurite, Emulator, app_settings, emulator
from devtools.runner import LocalRunner, app_environment
from shared import pipeline

__all__ = [
    "REAL_POLL_S",
    "REAL_QUEUE_DELAY_S",
    "REAL_RATE_LIMIT",
    "REAL_RATE_WINDOW_S",
    "REAL_SAMPLE_POLL_S",
    "REAL_SPEED",
    "AppUnderTest",
    "Host",
    "JobObserver",
    "Scale",
    "emulator_stats",
    "parse_time",
    "percentile",
    "prose_file",
    "scenario",
]

logger = logging.getLogger("speechdrop.bench")

#: The real-world model the scaled runs stand for.
REAL_POLL_S = 30.0  # POLL_SCHEDULE default in code: */30
REAL_SAMPLE_POLL_S = 5.0  # the official sample polls every 5 s
REAL_QUEUE_DELAY_S = 30.0  # a job waits ~30 s before the service starts it
REAL_SPEED = 10.0  # and synthesises at 10x real time
REAL_RATE_LIMIT = 100  # requests ...
REAL_RATE_WINDOW_S = 10.0  # ... per 10 s (Azure Speech's documented default)


@dataclass(frozen=True)
class Scale:
    """Time divided by `k`: see the module docstring."""

    k: float = 10.0

    @property
    def poll_s(self) -> int:
        return max(1, round(REAL_POLL_S / self.k))  # NCRONTAB needs whole seconds

    @property
    def sample_poll_s(self) -> float:
        return REAL_SAMPLE_POLL_S / self.k

    @property
    def schedule(self) -> str:
        return f"*/{self.poll_s} * * * * *"

    @property
    def rate_window_s(self) -> float:
        return REAL_RATE_WINDOW_S / self.k

    @property
    def rate_per_s(self) -> float:
        return REAL_RATE_LIMIT / self.rate_window_s

    def emulator_args(self, *, latency: bool = True, rate_limit: bool = True) -> list[str]:
        args = []
        if latency:
            args += ["--queue-delay", f"{REAL_QUEUE_DELAY_S / self.k:g}"]
            args += ["--speed", f"{REAL_SPEED * self.k:g}"]
        if rate_limit:
            args += [
                "--rate-limit",
                str(REAL_RATE_LIMIT),
                "--rate-window",
                f"{self.rate_window_s:g}",
            ]
        else:
            args += ["--rate-limit", "0"]
        return args

    def describe(self) -> str:
        return (
            f"k={self.k:g}: poll {self.poll_s} s (real {REAL_POLL_S:g} s), sample poll "
            f"{self.sample_poll_s:.3g} s (real {REAL_SAMPLE_POLL_S:g} s), queue delay "
            f"{REAL_QUEUE_DELAY_S / self.k:g} s, speed {REAL_SPEED * self.k:g}x, rate limit "
            f"{REAL_RATE_LIMIT} per {self.rate_window_s:g} s"
        )


# -- statistics and time ------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), linear interpolation; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def parse_time(value: str) -> float:
    """An ISO 8601 time (with `Z` or an offset) as POSIX seconds."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


# -- text -----------------------------------------------------------------------------------

_WORDS = (
    "the a of and to in was it that he she his her had with as for on at by from they "
    "river morning light letter garden window evening silence winter harbour voice road "
    "station captain doctor mother brother lantern question answer moment kingdom story "
    "walked said looked turned found heard remembered carried opened waited listened "
    "quietly slowly suddenly again never always perhaps almost together outside beyond "
    "old small bright cold long quiet strange distant gentle heavy narrow golden"
).split()


def sentence(rng: random.Random, low: int = 6, high: int = 18) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + rng.choice(".....?!")


def prose_file(rng: random.Random, characters: int) -> str:
    """About `characters` characters of prose, one paragraph per line."""
    lines, size = [], 0
    while size < characters:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(1, 6)))
        lines.append(paragraph)
        size += len(paragraph) + 1
    return "\n".join(lines) + "\n"


# -- the emulator -------------------------------------------------------------------------


def emulator_stats(endpoint: str) -> dict[str, Any]:
    return httpx.get(f"{endpoint}/emulator/stats", timeout=10).json()


def requests_by_operation(stats: dict[str, Any]) -> dict[str, dict[str, int]]:
    """{operation: {status: count}} from /emulator/stats."""
    return {op: {str(s): int(n) for s, n in by.items()} for op, by in stats["requests"].items()}


class JobObserver:
    """Remembers each finished job's createdDateTime/lastActionDateTime as the pipeline's
    speech client reads it (the pipeline deletes jobs after delivery). It wraps the
    client's `get` and `list` on the instance: observation only, nothing changes."""

    def __init__(self) -> None:
        self.spans: dict[str, tuple[float, float]] = {}

    def note(self, job: Any) -> None:
        if isinstance(job, dict) and job.get("status") in ("Succeeded", "Failed"):
            try:
                self.spans[job["id"]] = (
                    parse_time(job["createdDateTime"]),
                    parse_time(job["lastActionDateTime"]),
                )
            except (KeyError, ValueError):
                pass

    def attach(self, speech: Any) -> None:
        original_get = speech.get

        def get(*args: Any, **kwargs: Any) -> Any:
            job = original_get(*args, **kwargs)
            self.note(job)
            return job

        speech.get = get
        original_list = getattr(speech, "list", None)
        if original_list is not None:

            def list_(*args: Any, **kwargs: Any) -> Iterator[Any]:
                for job in original_list(*args, **kwargs):
                    self.note(job)
                    yield job

            speech.list = list_

    def span(self, job_ids: Sequence[str]) -> float | None:
        """Seconds the service spent on these jobs (first created to last finished)."""
        spans = [self.spans[j] for j in job_ids if j in self.spans]
        if not spans or len(spans) != len(job_ids):
            return None
        return max(end for _, end in spans) - min(start for start, _ in spans)

    def finished(self, job_ids: Sequence[str]) -> float | None:
        """When the last of these jobs finished at the service (POSIX seconds)."""
        ends = [self.spans[j][1] for j in job_ids if j in self.spans]
        return max(ends) if ends and len(ends) == len(job_ids) else None


# -- the app under test ---------------------------------------------------------------------

_counter = iter(range(1, 1_000_000))


@dataclass
class AppUnderTest:
    """The app's settings applied to this process, its containers and its runner."""

    name: str
    azurite: Azurite
    emulator: Emulator
    env: dict[str, str]
    blobs: BlobServiceClient
    input: ContainerClient
    output: ContainerClient
    runner: LocalRunner
    observer: JobObserver = field(default_factory=JobObserver)

    @property
    def speech(self) -> Any:
        return pipeline.default_pipeline().speech

    def request_counts(self) -> dict[str, int]:
        return dict(self.speech.request_counts)


def app_env(name: str, storage: Azurite, speech: Emulator, **settings: str) -> dict[str, str]:
    n = next(_counter)
    return app_settings(
        storage,
        speech,
        INPUT_CONTAINER=f"{name}-in-{n}",
        OUTPUT_CONTAINER=f"{name}-out-{n}",
        JOBS_TABLE=f"bench{name.replace('-', '')}{n}",
        **settings,
    )


@contextmanager
def scenario(
    name: str,
    storage: Azurite,
    emulator_args: Sequence[str],
    log_dir: Any = None,
    **settings: str,
) -> Iterator[AppUnderTest]:
    """A fresh emulator, fresh containers and table, the app's settings in os.environ."""
    key = secrets.token_hex(16)
    with ExitStack() as stack:
        speech = stack.enter_context(emulator(key=key, extra_args=emulator_args, log_dir=log_dir))
        env = app_env(name, storage, speech, **settings)
        stack.enter_context(app_environment(env))
        blobs = stack.enter_context(
            BlobServiceClient.from_connection_string(storage.connection_string)
        )
        input_container = blobs.create_container(env["INPUT_CONTAINER"])
        app = AppUnderTest(
            name,
            storage,
            speech,
            env,
            blobs,
            input_container,
            blobs.get_container_client(env["OUTPUT_CONTAINER"]),
            LocalRunner(function_app.app, input_container),
        )
        app.observer.attach(app.speech)  # builds the default pipeline (and its storage)
        yield app


# -- a Functions host stand-in ------------------------------------------------------------------


class Host:
    """Runs the app's triggers the way the Functions host does: every dropped blob's event
    goes to the blob trigger as soon as it lands (`event_workers` at a time, as the host
    runs several invocations at once), and the timer trigger fires on its NCRONTAB
    schedule (wall-clock multiples of the period; never overlapping itself; a run that
    overruns skips the occurrences it missed)."""

    def __init__(self, runner: LocalRunner, interval_s: float, event_workers: int = 4) -> None:
        self.runner = runner
        self.interval_s = interval_s
        self._events: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._event_loop, name=f"blob-trigger-{i}", daemon=True)
            for i in range(event_workers)
        ]
        self._threads.append(threading.Thread(target=self._timer_loop, name="timer", daemon=True))
        self.ticks: list[float] = []  # duration of each timer run
        self.event_errors = 0
        self.tick_errors = 0

    def __enter__(self) -> Host:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for _ in self._threads:
            self._events.put(None)
        for thread in self._threads:
            thread.join(timeout=120)

    def blob_landed(self, name: str) -> None:
        self._events.put(name)

    def _event_loop(self) -> None:
        while not self._stop.is_set():
            name = self._events.get()
            if name is None:
                return
            try:
                self.runner.deliver_event(name)
            except Exception:  # noqa: BLE001 - count it and go on, as the host would
                self.event_errors += 1
                logger.exception("blob trigger failed for %s", name)

    def _timer_loop(self) -> None:
        while not self._stop.is_set():
            now = time.time()
            next_fire = (math.floor(now / self.interval_s) + 1) * self.interval_s
            if self._stop.wait(next_fire - now):
                return
            started = time.monotonic()
            try:
                self.runner.tick()
            except Exception:  # noqa: BLE001
                self.tick_errors += 1
                logger.exception("timer trigger failed")
            self.ticks.append(time.monotonic() - started)


def upload_all(
    container: ContainerClient,
    files: Sequence[tuple[str, bytes, dict[str, str]]],
    on_landed: Callable[[str], None],
    workers: int = 8,
) -> dict[str, float]:
    """Upload files at once (`workers` in parallel); returns each one's landing time."""
    landed: dict[str, float] = {}

    def put(item: tuple[str, bytes, dict[str, str]]) -> None:
        name, data, metadata = item
        container.upload_blob(name, data, metadata=metadata or None, overwrite=True)
        landed[name] = time.time()
        on_landed(name)

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, files))
    return landed


def wait_for_manifests(
    container: ContainerClient,
    names: Sequence[str],
    timeout_s: float,
    every_s: float = 1.0,
    on_progress: Callable[[int, int], None] | None = None,
) -> set[str]:
    """Wait until every input name has <name>/manifest.json; returns the names that do."""
    wanted = set(names)
    deadline = time.monotonic() + timeout_s
    done: set[str] = set()
    while True:
        done = {
            blob.name[: -len("/manifest.json")]
            for blob in container.list_blobs()
            if blob.name.endswith("/manifest.json")
        } & wanted
        if on_progress:
            on_progress(len(done), len(wanted))
        if done == wanted or time.monotonic() > deadline:
            return done
        time.sleep(every_s)


def read_json_blob(container: ContainerClient, name: str) -> dict[str, Any]:
    import json

    return json.loads(container.download_blob(name).readall())
