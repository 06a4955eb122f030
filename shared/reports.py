"""The documents speechdrop shows to people and programs: manifest, error report, status.

The manifest schema (``schemaVersion`` 1) is documented in README and is a contract with
downstream services: add fields, never rename or remove them. Paths inside a manifest
are relative to its folder. Nothing here contains a URL: result links are SAS URLs.
"""

from __future__ import annotations

from typing import Any

from shared.jobs import FileRecord

__all__ = ["MANIFEST_SCHEMA_VERSION", "manifest", "error_report", "status_view"]

MANIFEST_SCHEMA_VERSION = 1

_HELP = (
    "The input file was left as it is. Fix what the message says and upload the file "
    "again (a new version of a file is processed as new work)."
)


def _source(record: FileRecord, container: str) -> dict[str, Any]:
    return {
        "container": container,
        "name": record.blob_name,
        "etag": record.blob_etag,
        "kind": record.kind,
    }


def manifest(
    record: FileRecord,
    container: str,
    *,
    audio: dict[str, Any] | None = None,
    timings: dict[str, str] | None = None,
    billable_characters: int | None = None,
) -> dict[str, Any]:
    """manifest.json for a delivered or failed file."""
    document: dict[str, Any] = {
        "schemaVersion": MANIFEST_SCHEMA_VERSION,
        "status": "delivered" if record.error is None else "failed",
        "source": _source(record, container),
        "voice": record.options.get("voice"),
        "outputFormat": record.options.get("output_format"),
        "concatenated": record.options.get("concatenate"),
        "jobs": [record.job_id(part) for part in record.parts],
        "inputs": record.input_count,
        "characters": record.characters,
        "billableCharacters": billable_characters,
        "times": dict(record.times),
    }
    if audio is not None:
        document["audio"] = audio
    if timings:
        document["timings"] = timings
    if record.error is not None:
        document["error"] = "error.json"
    return document


def error_report(record: FileRecord, container: str) -> dict[str, Any]:
    """error.json: what went wrong, where, and what to do."""
    return {
        "schemaVersion": MANIFEST_SCHEMA_VERSION,
        "status": "failed",
        "source": _source(record, container),
        "error": record.error,
        "help": _HELP,
        "times": dict(record.times),
    }


def status_view(record: FileRecord) -> dict[str, Any]:
    """What the HTTP status endpoint shows for one file version."""
    done = sum(part.status == "Succeeded" for part in record.parts)
    view: dict[str, Any] = {
        "name": record.blob_name,
        "version": record.blob_etag,
        "state": record.state.value,
        "kind": record.kind,
        "progress": {"jobs": len(record.parts), "jobsSucceeded": done},
        "inputs": record.input_count,
        "characters": record.characters,
        "times": dict(record.times),
    }
    if record.outputs:
        view["outputs"] = record.outputs
    if record.error:
        view["error"] = record.error
    return view
