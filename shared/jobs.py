"""Job records in Table storage: one record per input file version, and its state machine.

Every record lives in one partition (``files``) under the row key ``file|<file_id>``.
While a record has work left, a small marker ``active|<file_id>`` exists beside it, so a
tick finds the work in progress with a range query over the markers: its cost grows with
the number of active files, not with history. A record and its marker are created in one
entity group transaction; the marker is retired only after the record is final AND its
jobs are deleted at the service, so a crash between those steps leaves a marker that the
next tick finishes (cleanup), never a job nobody will delete.

States (a record moves only forward; every change is conditional on the ETag it read)::

    accepted ──▶ submitted ──▶ running ──▶ delivering ──▶ delivered
        │            │            │            │
        └────────────┴────────────┴────────────┴──────▶ failed (with a reason)

- accepted:   validated and recorded; some parts are not yet created at the service
              (waiting for the next tick after a 429, or a crash)
- submitted:  every part was created at the service
- running:    the service reports at least one part running
- delivering: every part succeeded; results are being written to the output container
- delivered:  manifest.json written, jobs deleted at the service
- failed:     error.json and manifest.json written; `error` says why

Steps back to accepted, to submit again (bounded, see shared.pipeline):
- a job vanished at the service before its results were delivered (expired, deleted)
  or failed there: its part is queued under a new job id (`-r1`, `-r2`);
- some inputs failed inside a succeeded job: a retry part with just those inputs is
  added (its own job id), and delivery takes them from it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.data.tables import TableClient, TableTransactionError, UpdateMode

__all__ = [
    "FileState",
    "Part",
    "FileRecord",
    "JobStore",
    "StaleRecordError",
    "file_id_for",
    "utcnow",
]

PARTITION = "files"
_FILE_PREFIX = "file|"
_ACTIVE_PREFIX = "active|"


class FileState(StrEnum):
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    RUNNING = "running"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        return self in (FileState.DELIVERED, FileState.FAILED)


_ORDER = list(FileState)


class StaleRecordError(Exception):
    """Someone else changed the record since it was read; re-read and decide again."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def file_id_for(blob_name: str, blob_etag: str) -> str:
    """A stable id for one version of an input file (blob name + ETag).

    It is also the stem of the file's service job ids, so it must keep within the
    service's id rules: `[a-zA-Z0-9][a-zA-Z0-9._-]{1,62}[a-zA-Z0-9]`.
    """
    name_hash = hashlib.sha256(blob_name.encode()).hexdigest()[:20]
    version_hash = hashlib.sha256(blob_etag.strip('"').encode()).hexdigest()[:10]
    return f"{name_hash}-{version_hash}"


def _name_prefix(blob_name: str) -> str:
    return file_id_for(blob_name, "").split("-")[0]


@dataclass
class Part:
    """One batch synthesis job of a file (a file too large for one job has several)."""

    index: int
    first_input: int
    input_count: int
    attempt: int = 0
    status: str = "pending"  # pending, then the service's NotStarted/Running/Succeeded/Failed
    failed_inputs: int = 0  # failedAudioCount of the finished job
    retry_of: int | None = None  # a retry part: index of the part whose failed inputs it holds
    offsets: list[int] | None = None  # a retry part: positions of those inputs in that part
    service_id: str | None = None  # the service's id of the job, where it chooses it

    def input_index(self, position: int) -> int:
        """The file-wide index of the input at `position` in this part's job."""
        return self.first_input + (self.offsets[position] if self.offsets else position)


@dataclass
class FileRecord:
    """What speechdrop knows about one version of one input file."""

    blob_name: str
    blob_etag: str
    state: FileState
    kind: str
    options: dict[str, Any]
    parts: list[Part]
    input_count: int
    characters: int
    times: dict[str, str] = field(default_factory=dict)
    attempts: int = 0
    next_attempt_at: str | None = None
    error: dict[str, Any] | None = None
    outputs: dict[str, Any] | None = None
    etag: str | None = None  # the table entity's ETag, for conditional updates

    @property
    def file_id(self) -> str:
        return file_id_for(self.blob_name, self.blob_etag)

    def job_id(self, part: Part) -> str:
        suffix = f"-r{part.attempt}" if part.attempt else ""
        return f"sd-{self.file_id}-{part.index:03d}{suffix}"

    def stamp(self, stage: str) -> None:
        self.times[stage] = utcnow().isoformat()

    def advance(self, state: FileState) -> None:
        """Move forward in the state machine (failed may follow any non-final state)."""
        if self.state.is_final:
            raise ValueError(f"record {self.file_id} is already {self.state}")
        if state is not FileState.FAILED and _ORDER.index(state) < _ORDER.index(self.state):
            raise ValueError(f"cannot go from {self.state} back to {state}")
        self.state = state
        self.stamp(state.value)

    def fail(self, code: str, message: str, where: str | None = None) -> None:
        self.error = {"code": code, "message": message, **({"where": where} if where else {})}
        self.advance(FileState.FAILED)

    # -- table entity mapping ------------------------------------------------------------

    def to_entity(self) -> dict[str, Any]:
        return {
            "PartitionKey": PARTITION,
            "RowKey": _FILE_PREFIX + self.file_id,
            "BlobName": self.blob_name,
            "BlobEtag": self.blob_etag,
            "State": self.state.value,
            "Kind": self.kind,
            "Options": json.dumps(self.options),
            "Parts": json.dumps([asdict(part) for part in self.parts]),
            "InputCount": self.input_count,
            "Characters": self.characters,
            "Times": json.dumps(self.times),
            "Attempts": self.attempts,
            "NextAttemptAt": self.next_attempt_at or "",
            "Error": json.dumps(self.error) if self.error else "",
            "Outputs": json.dumps(self.outputs) if self.outputs else "",
        }

    @classmethod
    def from_entity(cls, entity: Any) -> FileRecord:
        return cls(
            blob_name=entity["BlobName"],
            blob_etag=entity["BlobEtag"],
            state=FileState(entity["State"]),
            kind=entity["Kind"],
            options=json.loads(entity["Options"]),
            parts=[Part(**part) for part in json.loads(entity["Parts"])],
            input_count=entity["InputCount"],
            characters=entity["Characters"],
            times=json.loads(entity["Times"]),
            attempts=entity["Attempts"],
            next_attempt_at=entity.get("NextAttemptAt") or None,
            error=json.loads(entity["Error"]) if entity.get("Error") else None,
            outputs=json.loads(entity["Outputs"]) if entity.get("Outputs") else None,
            etag=entity.metadata["etag"],
        )


class JobStore:
    """Reads and writes file records; every write is conditional on the ETag read."""

    def __init__(self, table: TableClient) -> None:
        self._table = table

    def close(self) -> None:
        self._table.close()

    def ensure_table(self) -> None:
        try:
            self._table.create_table()
        except ResourceExistsError:
            pass

    def add(self, record: FileRecord) -> bool:
        """Record a new file version (with its active marker unless it is final already).

        Returns False, changing nothing, if that version is recorded already.
        """
        operations: list[Any] = [("create", record.to_entity())]
        if not record.state.is_final:
            operations.append(("upsert", _marker(record.file_id)))
        try:
            results = self._table.submit_transaction(operations)
        except TableTransactionError as error:
            if error.error_code == "EntityAlreadyExists":
                return False
            raise
        record.etag = results[0]["etag"]
        return True

    def get(self, file_id: str) -> FileRecord | None:
        try:
            return FileRecord.from_entity(self._table.get_entity(PARTITION, _FILE_PREFIX + file_id))
        except ResourceNotFoundError:
            return None

    def save(self, record: FileRecord) -> None:
        """Write `record` if nobody changed it since it was read.

        Raises StaleRecordError if the record changed meanwhile. A final record keeps its
        marker until `retire_marker`: the tick cleans up at the service first.
        """
        try:
            metadata = self._table.update_entity(
                record.to_entity(),
                mode=UpdateMode.REPLACE,
                etag=record.etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except ResourceModifiedError:
            raise StaleRecordError(record.file_id) from None
        record.etag = metadata["etag"]

    def active_ids(self) -> list[str]:
        """Ids of every file version that is not final yet (from the markers)."""
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": PARTITION, "lo": _ACTIVE_PREFIX, "hi": _after(_ACTIVE_PREFIX)},
            select=["RowKey"],
        )
        return [row["RowKey"][len(_ACTIVE_PREFIX) :] for row in rows]

    def retire_marker(self, file_id: str) -> None:
        """Drop the marker of a final record whose jobs are cleaned up at the service."""
        try:
            self._table.delete_entity(PARTITION, _ACTIVE_PREFIX + file_id)
        except ResourceNotFoundError:
            pass

    def versions_of(self, blob_name: str) -> list[FileRecord]:
        """Every recorded version of one input file, newest first."""
        prefix = _FILE_PREFIX + _name_prefix(blob_name) + "-"
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": PARTITION, "lo": prefix, "hi": _after(prefix)},
        )
        records = [FileRecord.from_entity(row) for row in rows if row["BlobName"] == blob_name]
        return sorted(records, key=lambda r: r.times.get("accepted", ""), reverse=True)

    def recent(self, state: str | None = None, limit: int | None = None) -> list[FileRecord]:
        """Records newest first (by acceptance), optionally of one state. It reads the
        whole history: meant for status pages and tools, not for the tick."""
        records = [r for r in self.all_records() if state is None or r.state.value == state]
        records.sort(key=lambda record: record.times.get("accepted", ""), reverse=True)
        return records[:limit]

    def all_records(self) -> Iterator[FileRecord]:
        rows = self._table.query_entities(
            "PartitionKey eq @pk and RowKey ge @lo and RowKey lt @hi",
            parameters={"pk": PARTITION, "lo": _FILE_PREFIX, "hi": _after(_FILE_PREFIX)},
        )
        for row in rows:
            yield FileRecord.from_entity(row)


def _marker(file_id: str) -> dict[str, str]:
    return {"PartitionKey": PARTITION, "RowKey": _ACTIVE_PREFIX + file_id}


def _after(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
