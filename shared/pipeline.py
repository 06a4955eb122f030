"""The pipeline: `accept()` a dropped file, and `tick()` to move every file forward.

`accept(name)` (blob trigger) validates one input file version, records it and submits
its jobs. It is idempotent: the same blob version (name + ETag) is recorded once however
often its event arrives. `tick()` (timer trigger) submits what is queued, polls what is
running, delivers what has finished and cleans up at the service. Both are safe to run
concurrently with themselves and each other: every record change is conditional on the
ETag read, and whoever loses a race leaves that file to the winner.

Failures of the user's file end in error.json + manifest.json and a failed record; a
throttled or failing service leaves the file queued for a later tick with backoff; an
unexpected error in one file is logged and the tick goes on with the next file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
from azure.data.tables import TableClient
from azure.storage.blob import BlobServiceClient

from shared import documents, reports, results
from shared.backends import Backend, BatchBackend, JobView, LongAudioBackend, check_long_audio
from shared.config import STORAGE_CONNECTION, Settings
from shared.delivery import InputFailure, OutputFolder, ResultArchive, output_folder_for
from shared.errors import (
    ConfigurationError,
    InputError,
    SpeechServiceError,
    ThrottledError,
    TransientError,
)
from shared.jobs import (
    FileRecord,
    FileState,
    JobStore,
    Part,
    StaleRecordError,
    file_id_for,
    utcnow,
)
from shared.longaudio import LongAudioClient
from shared.results import JobVanished
from shared.speech import ServiceVoices, SpeechClient

__all__ = ["Pipeline", "TickReport", "accept", "tick", "default_pipeline", "reset_default"]

logger = logging.getLogger(__name__)

#: How long a tick that started a delivery owns it before another tick may redo it.
DELIVERY_LEASE = timedelta(minutes=40)  # longer than host.json's functionTimeout (30 min)
#: How long whoever submits a file's jobs (the blob trigger, or a tick) owns that. It must
#: outlast the slowest create the client can make (4 attempts of at most 40 s, waits of at
#: most 8 s: about 3 minutes), so that a slow PUT never races another actor's PUT of the
#: same job id - which, after that job was delivered and deleted, would create it again.
SUBMIT_LEASE = timedelta(minutes=5)
#: Files a tick works on at once (each step is I/O: storage and speech calls).
TICK_WORKERS = 8
#: How often a part whose job vanished at the service is submitted again.
MAX_PART_ATTEMPTS = 3
#: How often a delivery is taken over after its lease ran out before the file fails.
MAX_DELIVERY_ATTEMPTS = 3
#: How often a part whose job failed at the service is tried (its inputs too).
MAX_SYNTHESIS_ATTEMPTS = 2
_MAX_BACKOFF_S = 15 * 60


@dataclass
class TickReport:
    """What one tick did, for logs, tests and benchmarks."""

    active: int = 0
    submitted: int = 0
    delivered: int = 0
    failed: int = 0
    deferred: int = 0
    errors: int = 0
    conflicts: int = 0
    listed: int = 0

    def add(self, other: TickReport) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


class Pipeline:
    """accept() and tick() over injected clients (see `Pipeline.from_settings`)."""

    def __init__(
        self,
        settings: Settings,
        blobs: BlobServiceClient,
        store: JobStore,
        speech: SpeechClient,
        long_audio: LongAudioClient | None = None,
    ) -> None:
        self.settings = settings
        self._blobs = blobs
        self.store = store
        self.speech = speech
        self.long_audio = long_audio
        self.voices = ServiceVoices(speech)
        self._list_pages = 1  # pages the last job list took: what listing costs
        self._input = blobs.get_container_client(settings.input_container)
        self._output = blobs.get_container_client(settings.output_container)

    @classmethod
    def from_settings(cls, settings: Settings) -> Pipeline:
        storage = settings.storage
        if storage is None:
            raise ConfigurationError(f"Set {STORAGE_CONNECTION}: the pipeline needs Storage.")
        if storage.connection_string:
            blobs = BlobServiceClient.from_connection_string(storage.connection_string)
            # a TableClient of its own: one made by a TableServiceClient shares a transport
            # that closing the TableClient leaves open
            table = TableClient.from_connection_string(
                storage.connection_string, table_name=settings.jobs_table
            )
            credential = None
        else:
            credential = _identity_credential(storage.client_id)
            blobs = BlobServiceClient(storage.blob_service_uri, credential=credential)
            table = TableClient(
                storage.table_service_uri, settings.jobs_table, credential=credential
            )
        auth: dict[str, Any] = {"key": settings.speech_key}
        if not settings.speech_key:
            auth = {"credential": credential or _identity_credential(storage.client_id)}
        speech = SpeechClient(settings.speech_endpoint, **auth)
        long_audio = LongAudioClient(settings.long_audio_endpoint, **auth)
        return cls(settings, blobs, JobStore(table), speech, long_audio)

    def backend(self, record: FileRecord) -> Backend:
        """The backend that runs a file (built per call: it wraps the current clients)."""
        if record.options.get("backend") == "longaudio":
            if self.long_audio is None:
                raise ConfigurationError("the Long Audio backend is not configured")
            return LongAudioBackend(self.long_audio)
        return BatchBackend(self.speech)

    def close(self) -> None:
        self.speech.close()
        if self.long_audio is not None:
            self.long_audio.close()
        self.store.close()
        self._blobs.close()

    def ensure_storage(self) -> None:
        """Create the jobs table and the output container if they are missing."""
        self.store.ensure_table()
        if not self._output.exists():
            self._output.create_container()

    # -- accept --------------------------------------------------------------------------

    def accept(self, blob_name: str) -> FileRecord | None:
        """Take one dropped file version in. Returns its record (None if the blob is gone)."""
        name = self._relative_name(blob_name)
        blob = self._input.get_blob_client(name)
        try:
            properties = blob.get_blob_properties()
        except ResourceNotFoundError:
            logger.info("accept: %r no longer exists; nothing to do", name)
            return None
        etag = properties.etag
        existing = self.store.get(file_id_for(name, etag))
        if existing is not None:
            logger.info(
                "accept: %r (version %s) already recorded as %s", name, etag, existing.state
            )
            if existing.state is FileState.ACCEPTED:
                # a redelivered event: finish what an interrupted call started, if nobody
                # holds the submit lease
                with contextlib.suppress(StaleRecordError):
                    self._claim_and_submit(existing, TickReport())
            return existing

        try:
            document = self._read_document(name, etag, properties.size, dict(properties.metadata))
        except _BlobChanged:
            logger.info("accept: %r changed while being read; its new version comes next", name)
            return None
        except InputError as error:
            return self._reject(name, etag, error)

        record = _new_record(name, etag, document)
        if not self.store.add(record):
            return self.store.get(record.file_id)
        logger.info(
            "accept: %r -> %d input(s), %d job(s), %d characters",
            name,
            document.input_count,
            len(document.jobs),
            document.characters,
        )
        try:
            self._submit(record, document)
        except StaleRecordError:
            pass
        return record

    def _relative_name(self, blob_name: str) -> str:
        prefix = self.settings.input_container + "/"
        return blob_name[len(prefix) :] if blob_name.startswith(prefix) else blob_name

    def _read_document(
        self, name: str, etag: str, size: int, metadata: dict[str, str] | None = None
    ) -> documents.Document:
        """The file version `etag`, built into job requests. Its metadata comes with the
        download unless the caller has read it already."""
        output_folder_for(name)  # refuses names that cannot become an output folder
        limit = self.settings.max_file_bytes
        if size > limit:
            raise InputError(
                "size", f"The file is {size:,} bytes; the limit is {limit:,} bytes. Split it."
            )
        try:
            download = self._input.get_blob_client(name).download_blob(
                etag=etag, match_condition=MatchConditions.IfNotModified
            )
            data = download.readall()
        except (ResourceModifiedError, ResourceNotFoundError):
            raise _BlobChanged() from None
        if metadata is None:
            metadata = dict(download.properties.metadata)
        document = documents.build_document(name, data, metadata, self.settings, self.voices)
        if document.options.backend == "longaudio":
            check_long_audio(document.jobs, document.options.output_format)
        return document

    def _reject(self, name: str, etag: str, error: InputError) -> FileRecord:
        record = FileRecord(name, etag, FileState.ACCEPTED, _kind_of(name), {}, [], 0, 0)
        record.stamp("accepted")
        record.fail(error.code, error.message, error.where)
        logger.info("accept: %r rejected: %s", name, error.code)
        try:
            self._write_failure(record)
        except InputError:
            pass  # a name that cannot become an output folder: the record carries the error
        self.store.add(record)
        return self.store.get(record.file_id) or record

    # -- submit --------------------------------------------------------------------------

    def _submit(self, record: FileRecord, document: documents.Document) -> None:
        """Create the record's pending jobs at the service, saving after each one."""
        backend = self.backend(record)
        for part in record.parts:
            if part.status != "pending":
                continue
            job_id = record.job_id(part)
            description = f"speechdrop: {record.blob_name}"[:200]
            try:
                part.service_id = backend.create(job_id, _job_request(document, part), description)
            except TransientError as error:
                self._defer(record, error)
                return
            except SpeechServiceError as error:
                if error.status in (401, 403):
                    # Not the file's fault: the app's credentials are wrong. Keep it queued.
                    logger.error(
                        "submit: the speech service refused our credentials (%d); "
                        "check SPEECH_KEY or the app identity's role",
                        error.status,
                    )
                    self._defer(record, TransientError(f"HTTP {error.status}"))
                    return
                existing = backend.get(job_id, part.service_id)
                if existing is None:
                    self._fail_rejected(record, part, error)
                    return
                part.service_id = existing.service_id
                logger.info("submit: %s existed already (an earlier attempt)", job_id)
            part.status = "NotStarted"
            record.attempts = 0
            if any(other.status == "pending" for other in record.parts):
                # what is created is known, should the rest fail; the lease is renewed
                record.next_attempt_at = (utcnow() + SUBMIT_LEASE).isoformat()
                self.store.save(record)
        record.next_attempt_at = None
        record.advance(FileState.SUBMITTED)
        self.store.save(record)
        logger.info("submit: %r -> %d job(s) created", record.blob_name, len(record.parts))

    def _defer(self, record: FileRecord, error: TransientError) -> None:
        record.attempts += 1
        backoff = min(2.0**record.attempts, _MAX_BACKOFF_S)
        if isinstance(error, ThrottledError) and error.retry_after:
            backoff = max(backoff, error.retry_after)
        record.next_attempt_at = (utcnow() + timedelta(seconds=backoff)).isoformat()
        logger.warning(
            "submit: %r deferred %.0f s (%s)", record.blob_name, backoff, type(error).__name__
        )
        self.store.save(record)

    def _fail_rejected(self, record: FileRecord, part: Part, error: SpeechServiceError) -> None:
        first, last = part.first_input + 1, part.first_input + part.input_count
        where = f"job {part.index + 1} of {len(record.parts)} (inputs {first}-{last})"
        self._finish_failed(
            record,
            "rejected",
            f"The speech service rejected the file: {error.message or error.code}",
            where,
        )

    # -- tick ----------------------------------------------------------------------------

    def tick(self) -> TickReport:
        """Move every active file one step forward, several files at a time."""
        report = TickReport()
        file_ids = self.store.active_ids()
        report.active = len(file_ids)
        with ThreadPoolExecutor(TICK_WORKERS, thread_name_prefix="speechdrop-tick") as pool:
            records = [record for record in pool.map(self._active_record, file_ids) if record]
            listed = self._list_jobs_if_cheaper(records, report)
            for outcome in pool.map(lambda record: self._step_safely(record, listed), records):
                report.add(outcome)
        if report.active:
            logger.info("tick: %s", asdict(report))
        return report

    def _active_record(self, file_id: str) -> FileRecord | None:
        record = self.store.get(file_id)
        if record is None:
            self.store.retire_marker(file_id)
        return record

    def _step_safely(self, record: FileRecord, listed: dict[str, JobView] | None) -> TickReport:
        """One file's step; whatever goes wrong stays with that file."""
        report = TickReport()
        try:
            self._step(record, report, listed)
        except StaleRecordError:
            report.conflicts += 1
        except TransientError as error:
            report.deferred += 1
            logger.warning("tick: %r deferred: %s", record.blob_name, error)
        except Exception:  # noqa: BLE001 - one broken file must not stop the others
            report.errors += 1
            logger.exception("tick: unexpected error on %r", record.blob_name)
        return report

    def _list_jobs_if_cheaper(
        self, records: list[FileRecord], report: TickReport
    ) -> dict[str, JobView] | None:
        """One pass over the service's job list, when that costs fewer requests than a GET
        per job to watch (the list gives 100 jobs a page). None: use GETs.

        Jobs missing from the list (created or deleted while it was read) are looked up
        with a GET, so a stale or partial list costs requests, never correctness.
        """
        watched = [
            record
            for record in records
            if record.state in (FileState.SUBMITTED, FileState.RUNNING, FileState.DELIVERING)
        ]
        if sum(len(record.parts) for record in watched) <= self._list_pages:
            return None
        listed: dict[str, JobView] = {}
        backends = {backend.name: backend for backend in map(self.backend, watched)}
        try:
            for backend in backends.values():
                listed.update(backend.list())
        except TransientError as error:
            logger.warning("tick: job list unavailable (%s); polling one by one", error)
            return None
        self._list_pages = max(1, -(-len(listed) // 100))
        report.listed = len(listed)
        return listed

    def _job(
        self, record: FileRecord, part: Part, listed: dict[str, JobView] | None
    ) -> JobView | None:
        job_id = record.job_id(part)
        if listed is not None and job_id in listed:
            return listed[job_id]
        return self.backend(record).get(job_id, part.service_id)

    def _step(
        self, record: FileRecord, report: TickReport, listed: dict[str, JobView] | None
    ) -> None:
        now = utcnow()
        if record.state.is_final:
            self._clean_up(record)  # a crash left its jobs at the service
            return
        if record.state is not FileState.DELIVERING and self._timed_out(record, now):
            minutes = self.settings.job_timeout_minutes
            self._finish_failed(
                record,
                "timeout",
                f"The speech service did not finish within {minutes} minutes "
                "(JOB_TIMEOUT_MINUTES). Upload the file again to retry.",
                None,
            )
            report.failed += 1
            return
        if record.state is FileState.ACCEPTED:
            self._claim_and_submit(record, report)
            return
        if record.state in (FileState.SUBMITTED, FileState.RUNNING):
            self._poll(record, report, listed)
        elif record.state is FileState.DELIVERING:
            started = datetime.fromisoformat(record.times["delivering"])
            if now - started > DELIVERY_LEASE:
                record.attempts += 1
                if record.attempts > MAX_DELIVERY_ATTEMPTS:
                    self._finish_failed(
                        record,
                        "delivery",
                        f"Writing the results failed {MAX_DELIVERY_ATTEMPTS} times; see the "
                        "app's logs. Upload the file again to retry.",
                        None,
                    )
                    report.failed += 1
                    return
                record.stamp("delivering")
                self.store.save(record)  # take over the lease
                self._deliver(record, report, listed)

    def _claim_and_submit(self, record: FileRecord, report: TickReport) -> None:
        """Submit a queued file's pending jobs, unless it is backing off or someone else
        holds its submit lease (see SUBMIT_LEASE)."""
        now = utcnow()
        if record.next_attempt_at and datetime.fromisoformat(record.next_attempt_at) > now:
            return
        record.next_attempt_at = (now + SUBMIT_LEASE).isoformat()
        self.store.save(record)  # take the submit lease (conditional: one winner)
        try:
            document = self._read_document(record.blob_name, record.blob_etag, 0)
        except InputError as error:  # valid when accepted; the settings or voices changed
            self._finish_failed(record, error.code, error.message, error.where)
            report.failed += 1
            return
        except _BlobChanged:
            self._finish_failed(
                record,
                "changed",
                "The input file was changed or deleted before it could be submitted; "
                "its new version, if any, is processed on its own.",
                None,
                write_outputs=False,
            )
            report.failed += 1
            return
        if not _same_layout(record, document):
            self._finish_failed(
                record,
                "changed",
                "The app's settings (voice, format or job limits) changed since the file was "
                "accepted, so its remaining jobs no longer fit the ones already made. Upload "
                "the file again to voice it with the new settings.",
                None,
            )
            report.failed += 1
            return
        self._submit(record, document)
        report.submitted += record.state is FileState.SUBMITTED

    def _timed_out(self, record: FileRecord, now: datetime) -> bool:
        accepted = datetime.fromisoformat(record.times["accepted"])
        return now - accepted > timedelta(minutes=self.settings.job_timeout_minutes)

    def _poll(
        self, record: FileRecord, report: TickReport, listed: dict[str, JobView] | None
    ) -> None:
        changed = False
        for part in record.parts:
            if part.status in ("Succeeded", "Failed"):
                continue
            job = self._job(record, part, listed)
            if job is None:
                self._requeue_part(record, part, "vanished at the service", MAX_PART_ATTEMPTS)
                return
            if job.status != part.status:
                part.status = job.status
                part.failed_inputs = job.failed_inputs
                changed = True
            if part.status == "Failed":
                if part.retry_of is None and part.attempt + 1 < MAX_SYNTHESIS_ATTEMPTS:
                    self._requeue_part(
                        record, part, "failed at the service", MAX_SYNTHESIS_ATTEMPTS
                    )
                else:
                    self._fail_synthesis(record, part, job, listed)
                    report.failed += 1
                return
        if all(part.status == "Succeeded" for part in record.parts):
            if self._retry_failed_inputs(record, report, listed):
                return
            record.advance(FileState.DELIVERING)
            self.store.save(record)  # claims the delivery
            self._deliver(record, report, listed)
            return
        if record.state is FileState.SUBMITTED and any(p.status == "Running" for p in record.parts):
            record.advance(FileState.RUNNING)
            changed = True
        if changed:
            self.store.save(record)

    def _retry_failed_inputs(
        self, record: FileRecord, report: TickReport, listed: dict[str, JobView] | None
    ) -> bool:
        """Inputs that failed inside succeeded jobs get one more try, on their own.

        Each part with failed inputs gets a retry part holding just those inputs. When a
        retry part's inputs fail again, the file fails, naming them. Returns True when the
        record was requeued or failed (nothing to deliver yet).
        """
        retries = {p.retry_of: p for p in record.parts if p.retry_of is not None}
        gave_up: list[InputFailure] = []
        new_retries: list[Part] = []
        for part in record.parts:
            if part.retry_of is not None or not part.failed_inputs:
                continue
            retry = retries.get(part.index)
            if retry is None:
                with self._open_results(record, part, listed) as (archive, _):
                    positions = archive.failed_positions()
                new_retries.append(
                    Part(
                        index=len(record.parts) + len(new_retries),
                        first_input=part.first_input,
                        input_count=len(positions),
                        retry_of=part.index,
                        offsets=positions,
                    )
                )
            elif retry.failed_inputs:
                with self._open_results(record, retry, listed) as (archive, _):
                    gave_up += [
                        archive.failure(position, retry.input_index(position))
                        for position in archive.failed_positions()
                    ]
        if gave_up:
            self._fail_inputs(record, gave_up)
            report.failed += 1
            return True
        if new_retries:
            logger.warning(
                "poll: %r: %d input(s) failed; submitting them again on their own",
                record.blob_name,
                sum(part.input_count for part in new_retries),
            )
            record.parts += new_retries
            record.state = FileState.ACCEPTED  # back to the queue, for the retry parts only
            record.next_attempt_at = None
            self.store.save(record)
            return True
        return False

    def _fail_synthesis(
        self,
        record: FileRecord,
        part: Part,
        job: JobView,
        listed: dict[str, JobView] | None,
    ) -> None:
        """A job failed for good: name the inputs that failed when its results say which."""
        failures: list[InputFailure] = []
        if job.results_ready:
            with self._open_results(record, part, listed) as (archive, _):
                failures = [
                    archive.failure(position, part.input_index(position))
                    for position in archive.failed_positions()
                ]
        if failures:
            self._fail_inputs(record, failures)
            return
        reason = job.error or "no reason given"
        self._finish_failed(
            record,
            "synthesis",
            f"The speech service could not synthesize the file: {reason}",
            f"job {part.index + 1} of {len(record.parts)}",
        )

    def _fail_inputs(self, record: FileRecord, failures: list[InputFailure]) -> None:
        shown = "; ".join(failure.describe() for failure in failures[:10])
        more = f" (and {len(failures) - 10} more)" if len(failures) > 10 else ""
        self._finish_failed(
            record,
            "synthesis",
            f"{len(failures)} input(s) could not be synthesized: {shown}{more}",
            f"input {failures[0].index + 1}",
        )

    def _requeue_part(self, record: FileRecord, part: Part, why: str, max_attempts: int) -> None:
        """Submit a part's job again under a new id (`-rN`), or give up after max_attempts."""
        if part.attempt + 1 >= max_attempts:
            self._finish_failed(
                record,
                "lost",
                f"The speech service job {why} before its results were delivered, "
                f"{max_attempts} times. Upload the file again to retry.",
                f"job {part.index + 1} of {len(record.parts)}",
            )
            return
        logger.warning("poll: %s %s; submitting it again", record.job_id(part), why)
        self._delete_job(record, part)
        part.attempt += 1
        part.status = "pending"
        part.failed_inputs = 0
        record.state = FileState.ACCEPTED  # back to the queue
        record.next_attempt_at = None
        self.store.save(record)

    # -- deliver -------------------------------------------------------------------------

    def _deliver(
        self, record: FileRecord, report: TickReport, listed: dict[str, JobView] | None
    ) -> None:
        if self._superseded(record, report):
            return
        try:
            folder, billable = self._write_results(record, listed)
        except JobVanished as vanished:
            self._requeue_part(record, vanished.part, "vanished at the service", MAX_PART_ATTEMPTS)
            return
        except results.UnrecoveredInputs as unrecovered:
            self._fail_inputs(record, unrecovered.failures)
            report.failed += 1
            return
        if self._superseded(record, report):  # a newer version arrived during the delivery
            return
        timings = folder.timings
        folder.remove_stale({*folder.audio.files, *timings.values(), "manifest.json"})
        record.outputs = {"folder": folder.folder, **_audio_outputs(folder.audio.files), **timings}
        record.outputs["manifest"] = "manifest.json"
        audio = {
            "files": folder.audio.files,
            "durationMs": round(folder.audio.duration_ms),
            "sizeBytes": folder.audio.size_bytes,
        }
        record.stamp("written")
        folder.write_json(
            "manifest.json",
            reports.manifest(
                record,
                self.settings.input_container,
                audio=audio,
                timings=timings,
                billable_characters=billable,
            ),
        )
        record.advance(FileState.DELIVERED)
        self.store.save(record)
        report.delivered += 1
        self._clean_up(record)
        logger.info(
            "deliver: %r -> %r (%.1f s of audio)",
            record.blob_name,
            folder.folder,
            folder.audio.duration_ms / 1000,
        )

    def _write_results(
        self, record: FileRecord, listed: dict[str, JobView] | None
    ) -> tuple[OutputFolder, int]:
        return results.write_results(
            self._output, record, lambda part: self._open_results(record, part, listed)
        )

    def _superseded(self, record: FileRecord, report: TickReport) -> bool:
        """Fail the record, writing nothing, if a newer version of its input exists."""
        if not self._input_superseded(record):
            return False
        self._finish_failed(
            record,
            "superseded",
            "A newer version of the input file arrived; its results replace these.",
            None,
            write_outputs=False,
        )
        report.failed += 1
        return True

    def _input_superseded(self, record: FileRecord) -> bool:
        try:
            current = self._input.get_blob_client(record.blob_name).get_blob_properties().etag
        except ResourceNotFoundError:
            return False  # deleted inputs are still delivered
        return current != record.blob_etag

    def _open_results(
        self, record: FileRecord, part: Part, listed: dict[str, JobView] | None
    ) -> contextlib.AbstractContextManager[tuple[ResultArchive, JobView]]:
        """A part's results; the link comes from this tick's job list when there is one."""
        job_id = record.job_id(part)
        return results.open_results(
            self.backend(record),
            record,
            part,
            self._job(record, part, listed),
            may_refresh=listed is not None and job_id in listed,
        )

    def _clean_up(self, record: FileRecord) -> None:
        """Delete a final record's jobs at the service, then retire its marker.

        A transient failure leaves the marker for the next tick to try again; a job the
        service refuses to delete is left to expire (SERVICE_TTL_HOURS).
        """
        for part in record.parts:
            self._delete_job(record, part)
        self.store.retire_marker(record.file_id)

    def _delete_job(self, record: FileRecord, part: Part) -> None:
        # "pending" parts too: a PUT may have succeeded before a crash kept us from saving
        # that; deleting a job that does not exist costs one 404.
        try:
            self.backend(record).delete(record.job_id(part), part.service_id)
        except SpeechServiceError as error:
            # e.g. a job still running cannot be deleted; it expires after SERVICE_TTL_HOURS
            logger.warning("cleanup: %s not deleted (%s)", record.job_id(part), error.code)

    # -- failure -------------------------------------------------------------------------

    def _finish_failed(
        self,
        record: FileRecord,
        code: str,
        message: str,
        where: str | None,
        *,
        write_outputs: bool = True,
    ) -> None:
        """Fail the file: error.json and manifest.json (unless a newer version of the input
        owns the output folder now), the final record, then cleanup at the service."""
        record.fail(code, message, where)
        if write_outputs and not self._input_superseded(record):
            self._write_failure(record)
        self.store.save(record)  # final; its marker stays until the cleanup below
        logger.info("failed: %r: %s", record.blob_name, code)
        self._clean_up(record)

    def _write_failure(self, record: FileRecord) -> None:
        folder = OutputFolder(
            self._output,
            output_folder_for(record.blob_name),
            record.options.get("output_format", self.settings.default_output_format),
        )
        record.outputs = {
            "folder": folder.folder,
            "error": "error.json",
            "manifest": "manifest.json",
        }
        folder.retract_manifest()
        folder.write_json("error.json", reports.error_report(record, self.settings.input_container))
        folder.remove_stale({"error.json"})
        folder.write_json("manifest.json", reports.manifest(record, self.settings.input_container))

    # -- status --------------------------------------------------------------------------

    def status(self, blob_name: str) -> dict[str, Any] | None:
        versions = self.store.versions_of(self._relative_name(blob_name))
        return reports.status_view(versions[0]) if versions else None

    def recent(self, state: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        return [reports.status_view(r) for r in self.store.recent(state, limit)]


class _BlobChanged(Exception):
    """The input blob changed or vanished between reading its properties and its content."""


def _same_layout(record: FileRecord, document: documents.Document) -> bool:
    """Whether a document rebuilt for a queued record still matches the jobs it was
    split into (settings may have changed since it was accepted)."""
    originals = [part for part in record.parts if part.retry_of is None]
    options = document.options
    return (
        len(document.jobs) == len(originals)
        and all(
            (job.first_input, len(job.inputs)) == (part.first_input, part.input_count)
            for job, part in zip(document.jobs, originals, strict=True)
        )
        and (options.output_format, options.backend)
        == (record.options["output_format"], record.options.get("backend", "batch"))
    )


def _job_request(document: documents.Document, part: Part) -> documents.JobRequest:
    """The job body of a part: a job of the document, or a retry part's share of one."""
    if part.retry_of is None:
        return document.jobs[part.index]
    original = document.jobs[part.retry_of]
    return dataclasses.replace(
        original, inputs=tuple(original.inputs[offset] for offset in part.offsets)
    )


def _audio_outputs(files: list[str]) -> dict[str, Any]:
    """Audio paths for the record (a table property holds at most 64 KiB)."""
    if len(files) <= 10:
        return {"audio": files}
    return {"audio": [files[0], "..."], "audioFiles": len(files)}


def _new_record(name: str, etag: str, document: documents.Document) -> FileRecord:
    options = document.options
    record = FileRecord(
        blob_name=name,
        blob_etag=etag,
        state=FileState.ACCEPTED,
        kind=document.kind,
        options={
            "voice": options.voice,
            "output_format": options.output_format,
            "concatenate": options.concatenate,
            "word_boundary": options.word_boundary,
            "sentence_boundary": options.sentence_boundary,
            "backend": options.backend,
        },
        parts=[
            Part(index=i, first_input=job.first_input, input_count=len(job.inputs))
            for i, job in enumerate(document.jobs)
        ],
        input_count=document.input_count,
        characters=document.characters,
    )
    record.stamp("accepted")
    # the blob trigger that records it submits it: it holds the submit lease
    record.next_attempt_at = (utcnow() + SUBMIT_LEASE).isoformat()
    return record


def _kind_of(name: str) -> str:
    try:
        return documents.kind_of(name)
    except InputError:
        return "unknown"


def _identity_credential(client_id: str | None) -> Any:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential(managed_identity_client_id=client_id)


# -- the default pipeline, built lazily from the environment (what the triggers use) ------

_default_lock = threading.Lock()


@functools.cache
def _default() -> Pipeline:
    pipeline = Pipeline.from_settings(Settings.from_env())
    pipeline.ensure_storage()
    return pipeline


def default_pipeline() -> Pipeline:
    with _default_lock:
        return _default()


def reset_default() -> None:
    """Close and forget the default pipeline (tests and tools change the environment)."""
    with _default_lock:
        if _default.cache_info().currsize:
            _default().close()
        _default.cache_clear()


def accept(blob_name: str) -> FileRecord | None:
    return default_pipeline().accept(blob_name)


def tick() -> TickReport:
    return default_pipeline().tick()
