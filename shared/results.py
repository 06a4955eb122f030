"""Job results from the service, read in input order and written to the output folder.

`open_results` downloads one job's results — a batch-layout results.zip, whichever backend
ran — into a temporary file and opens it. `write_results` walks a file's parts in order,
takes each input that failed in a part from that part's retry part, and writes audio and
timings through an `OutputFolder`. Only one input's audio is in memory at a time.
"""

from __future__ import annotations

import contextlib
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from azure.storage.blob import ContainerClient

from shared.audio import parse_format
from shared.backends import Backend, JobView
from shared.delivery import InputFailure, OutputFolder, ResultArchive, output_folder_for
from shared.errors import SpeechServiceError, TransientError
from shared.jobs import FileRecord, Part

__all__ = ["JobVanished", "UnrecoveredInputs", "open_results", "write_results"]

ResultsOpener = Callable[[Part], AbstractContextManager[tuple[ResultArchive, JobView]]]


class JobVanished(Exception):
    """A job the record knows is gone at the service (deleted or expired)."""

    def __init__(self, part: Part) -> None:
        super().__init__(f"job part {part.index} vanished")
        self.part = part


class UnrecoveredInputs(Exception):
    """Inputs failed in a job and no retry part holds them (e.g. a backend that reports
    a job Succeeded with failed inputs, without saying how many)."""

    def __init__(self, failures: list[InputFailure]) -> None:
        super().__init__(f"{len(failures)} input(s) failed")
        self.failures = failures


@contextlib.contextmanager
def open_results(
    backend: Backend, record: FileRecord, part: Part, job: JobView | None, *, may_refresh: bool
) -> Iterator[tuple[ResultArchive, JobView]]:
    """Download a part's results.zip into a temporary file and open it.

    `job` is the job as last seen (from a job list when `may_refresh`: if its link has
    expired meanwhile, a fresh one is fetched once before the job counts as gone).
    """
    job_id = record.job_id(part)
    audio_format = parse_format(record.options["output_format"])
    with tempfile.TemporaryFile(prefix="speechdrop-result-") as spool:
        while True:
            if job is None:
                raise JobVanished(part)
            if not job.results_ready:
                raise TransientError(f"job {job_id} has no results yet")
            try:
                backend.download(job, spool)
                break
            except SpeechServiceError:  # the link expired, or the job is gone
                if not may_refresh:
                    raise JobVanished(part) from None
                may_refresh = False
                job = backend.get(job_id, part.service_id)
        spool.seek(0)
        with zipfile.ZipFile(spool) as archive:
            yield ResultArchive(archive, audio_format), job


def write_results(
    output: ContainerClient, record: FileRecord, open_part: ResultsOpener
) -> tuple[OutputFolder, int]:
    """Audio and timings of every input, in order, into the record's output folder.

    Returns the folder and the billable characters of all jobs.
    """
    retries = {p.retry_of: p for p in record.parts if p.retry_of is not None}
    concatenate = record.options["concatenate"]
    billable = 0
    with OutputFolder(
        output, output_folder_for(record.blob_name), record.options["output_format"]
    ) as folder:
        folder.retract_manifest()
        for part in record.parts:
            if part.retry_of is not None:
                continue
            retry = retries.get(part.index)
            with contextlib.ExitStack() as archives:
                main, job = archives.enter_context(open_part(part))
                billable += job.billable_characters
                patch, patch_positions = None, {}
                if retry is not None:
                    patch, retry_job = archives.enter_context(open_part(retry))
                    billable += retry_job.billable_characters
                    patch_positions = {offset: i for i, offset in enumerate(retry.offsets)}
                if len(main.entries) != part.input_count:
                    raise TransientError(
                        f"job {record.job_id(part)} returned {len(main.entries)} results "
                        f"for {part.input_count} inputs"
                    )
                unrecovered = [
                    main.failure(position, part.input_index(position))
                    for position in main.failed_positions()
                    if position not in patch_positions
                ]
                if unrecovered:
                    raise UnrecoveredInputs(unrecovered)
                for position, entry in enumerate(main.entries):
                    index = part.input_index(position)
                    if entry.get("status") == "Succeeded":
                        folder.add(main.item(position, index), concatenate)
                    else:
                        folder.add(patch.item(patch_positions[position], index), concatenate)
        folder.finish_audio()
    return folder, billable
