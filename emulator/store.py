"""Jobs in memory, their lifecycle, and the one worker thread that synthesises them.

NotStarted → (after `queue_delay`) Running → Succeeded | Failed. A job's
`lastActionDateTime` changes with each status. Finished jobs live `timeToLiveInHours`
emulated hours (`time_scale` real seconds each) and then vanish: GET 404, result URL 404.
Only finished jobs can be deleted (NotStarted/Running → 400 BadRequest, inner code
`InvalidJobState`). One worker thread runs every synthesis: espeak-ng allows one at a
time per process.

Jobs belong to one API surface (`Job.surface`): `batch` (the batch synthesis routes) or
`longaudio` (the Long Audio API, `longaudio.py`); each surface sees only its own jobs, and the
one worker runs them all in creation order. A job may bring its own `package` (output → result
zip; it may mark the output Failed) and no time to live (kept until deleted).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from emulator.config import Config
from emulator.errors import ApiError, ErrorCode
from emulator.faults import Faults
from emulator.results import DeliveryError, JobOutput, build_output, deliver, zip_files
from emulator.speech import engine as get_engine

__all__ = ["BATCH", "Job", "Package", "Store"]

logger = logging.getLogger(__name__)

NOT_STARTED, RUNNING, SUCCEEDED, FAILED = "NotStarted", "Running", "Succeeded", "Failed"
FINISHED = (SUCCEEDED, FAILED)
BATCH = "batch"

Package = Callable[[JobOutput], bytes]  # output -> result zip; may set output.status to Failed


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Job:
    id: str
    operation_id: str
    definition: dict
    fingerprint: str
    created: datetime
    last_action: datetime
    ready_at: float  # monotonic time the worker may start it
    status: str = NOT_STARTED
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    finished_at: float | None = None  # monotonic
    expires_at: float | None = None  # monotonic
    output: JobOutput | None = None
    zipped: bytes | None = None
    outputs: dict | None = None  # set for destination-container jobs (relative paths)
    error: dict | None = None
    surface: str = BATCH
    package: Package | None = None

    def resource(self, result_url: str | None) -> dict:
        """The BatchSynthesis JSON body."""
        props = dict(self.definition["properties"])
        if self.output is not None:
            props.update(
                sizeInBytes=self.output.size_bytes,
                durationInMilliseconds=self.output.duration_ms,
                succeededAudioCount=self.output.succeeded,
                failedAudioCount=self.output.failed,
                billingDetails={
                    "neuralCharacters": self.output.characters,
                    "customNeuralCharacters": 0,
                },
            )
        if self.error:
            props["error"] = self.error
        # the service does not echo `inputs` back (see the spec's examples)
        body = {k: v for k, v in self.definition.items() if k not in ("properties", "inputs")}
        body["properties"] = props
        if self.outputs is not None:
            body["outputs"] = self.outputs
        elif result_url is not None:
            body["outputs"] = {"result": result_url}
        body.update(
            id=self.id,
            status=self.status,
            createdDateTime=iso(self.created),
            lastActionDateTime=iso(self.last_action),
        )
        return body


class Store:
    def __init__(self, config: Config, faults: Faults) -> None:
        self.config = config
        self.faults = faults
        self._jobs: dict[str, Job] = {}
        self._operations: dict[str, str] = {}  # operation id -> job id
        self._cond = threading.Condition()
        self._stopping = False
        self._worker: threading.Thread | None = None
        self.processed = Counter()

    # ----- lifecycle of the worker
    def start(self) -> None:
        self._worker = threading.Thread(target=self._run, name="synthesis-worker", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=10)

    def reset(self) -> None:
        with self._cond:
            self._jobs.clear()
            self._operations.clear()
            self._cond.notify_all()

    # ----- API operations
    def _purge(self) -> None:
        now = time.monotonic()
        for job_id in [j.id for j in self._jobs.values() if j.expires_at and j.expires_at <= now]:
            self._drop(job_id)

    def _drop(self, job_id: str) -> None:
        job = self._jobs.pop(job_id, None)
        if job is not None:
            self._operations.pop(job.operation_id, None)

    def create(
        self,
        job_id: str,
        operation_id: str,
        definition: dict,
        fingerprint: str,
        surface: str = BATCH,
        package: Package | None = None,
    ) -> tuple[Job, dict]:
        """(job, body at creation). An identical retry with the same Operation-Id returns
        the existing job (its current state) instead of an error."""
        with self._cond:
            self._purge()
            existing_op = self._operations.get(operation_id)
            if existing_op is not None:
                job = self._jobs[existing_op]
                if job.id == job_id and job.fingerprint == fingerprint:
                    return job, job.resource(None)
                raise ApiError(
                    400,
                    ErrorCode.BAD_REQUEST,
                    f"The operation id '{operation_id}' is already used by a different request.",
                    "OperationIdConflict",
                )
            if job_id in self._jobs:
                raise ApiError(
                    400,
                    ErrorCode.BAD_REQUEST,
                    f"A batch synthesis with id '{job_id}' already exists.",
                    "AlreadyExists",
                )
            now = now_utc()
            job = Job(
                job_id,
                operation_id,
                definition,
                fingerprint,
                now,
                now,
                time.monotonic() + self.config.queue_delay,
                surface=surface,
                package=package,
            )
            self._jobs[job_id] = job
            self._operations[operation_id] = job_id
            snapshot = job.resource(None)  # NotStarted, before the worker can see it
            self._cond.notify_all()
            return job, snapshot

    def get(self, job_id: str, surface: str = BATCH) -> Job:
        with self._cond:
            self._purge()
            job = self._jobs.get(job_id)
            if job is None or job.surface != surface:
                raise ApiError(
                    404, ErrorCode.NOT_FOUND, f"The batch synthesis '{job_id}' does not exist."
                )
            return job

    def list(self, surface: str = BATCH) -> list[Job]:
        with self._cond:
            self._purge()
            jobs = [j for j in self._jobs.values() if j.surface == surface]
            return sorted(jobs, key=lambda j: (j.created, j.id))

    def delete(self, job_id: str, surface: str = BATCH) -> None:
        with self._cond:
            job = self.get(job_id, surface)
            if job.status not in FINISHED:
                raise ApiError(
                    400,
                    ErrorCode.BAD_REQUEST,
                    f"The batch synthesis '{job_id}' is {job.status}; only finished jobs "
                    "(Succeeded or Failed) can be deleted.",
                    "InvalidJobState",
                )
            self._drop(job_id)

    def operation(self, operation_id: str) -> Job:
        with self._cond:
            self._purge()
            job_id = self._operations.get(operation_id)
            if job_id is None or self._jobs[job_id].surface != BATCH:
                raise ApiError(
                    404, ErrorCode.NOT_FOUND, f"The operation '{operation_id}' does not exist."
                )
            return self._jobs[job_id]

    def find_result(self, job_id: str, token: str) -> Job | None:
        with self._cond:
            self._purge()
            job = self._jobs.get(job_id)
            if job is None or job.surface != BATCH or job.token != token or job.zipped is None:
                return None
            return job

    def url_expiry(self, job: Job) -> datetime:
        """A fresh result URL expiry: result_url_hours from now, never after the job's."""
        seconds = self.config.result_url_hours * self.config.time_scale
        if job.expires_at is not None:
            seconds = min(seconds, max(0.0, job.expires_at - time.monotonic()))
        return now_utc() + timedelta(seconds=seconds)

    def counts(self, surface: str = BATCH) -> dict[str, int]:
        with self._cond:
            self._purge()
            return dict(Counter(j.status for j in self._jobs.values() if j.surface == surface))

    # ----- the worker
    def _next_job(self) -> Job | None:
        with self._cond:
            while not self._stopping:
                self._purge()
                now = time.monotonic()
                waiting = [j for j in self._jobs.values() if j.status == NOT_STARTED]
                ready = [j for j in waiting if j.ready_at <= now]
                if ready:
                    job = min(ready, key=lambda j: (j.ready_at, j.created))
                    job.status, job.last_action = RUNNING, now_utc()
                    return job
                timeout = min((j.ready_at - now for j in waiting), default=1.0)
                expiring = [j.expires_at - now for j in self._jobs.values() if j.expires_at]
                self._cond.wait(timeout=max(0.01, min([timeout, 1.0, *expiring])))
            return None

    def _finish(self, job: Job, status: str, error: dict | None = None) -> None:
        with self._cond:
            if self._jobs.get(job.id) is not job:
                return  # reset meanwhile
            job.status, job.error = status, error
            job.last_action = now_utc()
            job.finished_at = time.monotonic()
            ttl = job.definition["properties"].get("timeToLiveInHours")
            if ttl is not None:  # None: kept until deleted
                job.expires_at = job.finished_at + ttl * self.config.time_scale
            self.processed[status] += 1
            self._cond.notify_all()

    def _run(self) -> None:
        while (job := self._next_job()) is not None:
            started = time.monotonic()
            try:
                self._process(job, started)
            except Exception:  # noqa: BLE001 - the worker must survive any one job
                logger.exception("job %s crashed", job.id)
                self._finish(
                    job,
                    FAILED,
                    {"code": ErrorCode.INTERNAL_SERVER_ERROR, "message": "Synthesis crashed."},
                )

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._cond:
            while not self._stopping and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(timeout=left)

    def _process(self, job: Job, started: float) -> None:
        logger.info("job %s running", job.id)
        if self.faults.job_stuck(job.id):
            logger.info("job %s is stuck (fault)", job.id)
            return  # stays Running forever
        if self.faults.job_fails(job.id):
            self._finish(
                job,
                FAILED,
                {
                    "code": ErrorCode.INTERNAL_SERVER_ERROR,
                    "message": "The synthesis failed (injected fault).",
                },
            )
            return
        output = build_output(
            job.id,
            job.definition,
            get_engine(),
            lambda index: self.faults.input_fails(job.id, index),
        )
        if self.config.speed > 0:
            self._wait(output.duration_ms / 1000 / self.config.speed - (time.monotonic() - started))
        props = job.definition["properties"]
        zipped = job.package(output) if job.package else zip_files(output.files)
        error = None
        if output.status == "Failed":
            error = {"code": ErrorCode.BAD_ARGUMENT, "message": output.error_message}
        destination = props.get("destinationContainerUrl")
        outputs = None
        if destination:
            prefix = "/".join(p for p in (props.get("destinationPath"), job.id) if p)
            try:
                result, summary = deliver(
                    destination, prefix, output.files, props["decompressOutputFiles"], zipped
                )
            except DeliveryError as exc:
                code = ErrorCode.FORBIDDEN if exc.status in (401, 403) else ErrorCode.BAD_ARGUMENT
                self._finish(job, FAILED, {"code": code, "message": str(exc)})
                return
            outputs = {"result": result} | ({"summary": summary} if summary else {})
        with self._cond:
            job.output, job.outputs = output, outputs
            job.zipped = None if destination else zipped
        self._finish(job, output.status, error)
        logger.info("job %s %s", job.id, output.status)
