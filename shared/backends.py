"""The synthesis service boundary: Azure's batch synthesis API, or its Long Audio API.

The pipeline talks to one small interface, `Backend`; each backend maps it onto its API:

- `BatchBackend` (the default): one batch synthesis job per part, created under the
  pipeline's own job id (idempotent PUT), results as `results.zip` with `summary.json`.
- `LongAudioBackend` (Long Audio API v3.0, in service until 1 April 2027): one synthesis
  per part, its id chosen by the service; the pipeline's job id is the synthesis'
  display name, and a create first looks for a synthesis of that name, so a retried
  create does not synthesize twice. Its results zip (one audio file per paragraph, an
  ``NNNN.err.txt`` per failed one) is rewritten into the batch layout, so delivery is
  the same whichever backend ran. It has no word or sentence boundaries.

`JobView` is what the pipeline needs to know about a job, whatever the backend.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any, Protocol

from shared.documents import JobRequest
from shared.errors import InputError
from shared.longaudio import FORMATS, MAX_PARAGRAPHS, MIN_CHARACTERS, LongAudioClient, locale_of
from shared.speech import SpeechClient

__all__ = [
    "Backend",
    "BatchBackend",
    "JobView",
    "LongAudioBackend",
    "check_long_audio",
]

_AUDIO_MEMBER = re.compile(r"^(\d{4})\.(wav|mp3)$")
_ERROR_MEMBER = re.compile(r"^(\d{4})\.err\.txt$")
_VOICE_NAME = re.compile(r'<voice[^>]*\sname\s*=\s*["\']([^"\']+)["\']')


@dataclass(frozen=True)
class JobView:
    """A job as the pipeline sees it, whatever the backend."""

    job_id: str
    status: str  # NotStarted, Running, Succeeded or Failed
    service_id: str | None = None
    failed_inputs: int = 0
    error: str | None = None
    result_url: str | None = None
    billable_characters: int = 0
    results_ready: bool = False  # the results can be downloaded


class Backend(Protocol):
    name: str

    def create(self, job_id: str, request: JobRequest, description: str) -> str:
        """Create the job; returns the service's id for it."""

    def get(self, job_id: str, service_id: str | None) -> JobView | None: ...

    def list(self) -> dict[str, JobView]:
        """Every job of the resource, by the pipeline's job id."""

    def delete(self, job_id: str, service_id: str | None) -> bool: ...

    def download(self, view: JobView, sink: IO[bytes]) -> None:
        """Write the job's results into `sink` as a batch-layout results.zip."""


class BatchBackend:
    """Azure Speech batch synthesis (api-version 2024-04-01)."""

    name = "batch"

    def __init__(self, speech: SpeechClient) -> None:
        self._speech = speech

    def create(self, job_id: str, request: JobRequest, description: str) -> str:
        self._speech.create(job_id, request.body(description=description))
        return job_id

    def get(self, job_id: str, service_id: str | None) -> JobView | None:
        job = self._speech.get(job_id)
        return None if job is None else _batch_view(job)

    def list(self) -> dict[str, JobView]:
        return {job["id"]: _batch_view(job) for job in self._speech.list()}

    def delete(self, job_id: str, service_id: str | None) -> bool:
        return self._speech.delete(job_id)

    def download(self, view: JobView, sink: IO[bytes]) -> None:
        self._speech.download(view.job_id, view.result_url or "", sink)


def _batch_view(job: dict[str, Any]) -> JobView:
    properties = job.get("properties", {})
    billing = properties.get("billingDetails", {})
    return JobView(
        job_id=job["id"],
        status=job["status"],
        service_id=job["id"],
        failed_inputs=properties.get("failedAudioCount", 0) or 0,
        error=(properties.get("error") or {}).get("message"),
        result_url=job.get("outputs", {}).get("result"),
        billable_characters=sum(v for v in billing.values() if isinstance(v, int)),
        results_ready=bool(job.get("outputs", {}).get("result")),
    )


class LongAudioBackend:
    """Azure's Long Audio API v3.0."""

    name = "longaudio"

    def __init__(self, client: LongAudioClient) -> None:
        self._client = client

    def create(self, job_id: str, request: JobRequest, description: str) -> str:
        existing = self._find(job_id)
        if existing is not None:
            return existing["id"]  # an earlier attempt got through
        voices = _voices_of(request)
        synthesis = self._client.create(
            script=_script(request),
            display_name=job_id,
            description=description,
            locale=locale_of(voices[0]) or "",
            voices=[{"voicename": voice} for voice in voices],
            output_format=str(request.properties["outputFormat"]),
            concatenate=False,
        )
        return synthesis["id"]

    def get(self, job_id: str, service_id: str | None) -> JobView | None:
        synthesis = self._client.get(service_id) if service_id else self._find(job_id)
        return None if synthesis is None else _long_audio_view(synthesis)

    def list(self) -> dict[str, JobView]:
        return {
            synthesis.get("displayName", ""): _long_audio_view(synthesis)
            for synthesis in self._client.list()
        }

    def delete(self, job_id: str, service_id: str | None) -> bool:
        if service_id is None:
            found = self._find(job_id)
            if found is None:
                return False
            service_id = found["id"]
        return self._client.delete(service_id)

    def download(self, view: JobView, sink: IO[bytes]) -> None:
        url = view.result_url or self._result_url(view.service_id or "")
        with tempfile.TemporaryFile(prefix="speechdrop-longaudio-") as original:
            self._client.download(view.service_id or view.job_id, url, original)
            original.seek(0)
            with zipfile.ZipFile(original) as source, zipfile.ZipFile(sink, "w") as target:
                _rewrite_as_batch(view.job_id, source, target)

    def _find(self, job_id: str) -> dict[str, Any] | None:
        return next((s for s in self._client.list() if s.get("displayName") == job_id), None)

    def _result_url(self, service_id: str) -> str:
        for file in self._client.files(service_id):
            if file.get("kind") == "LongAudioSynthesisResult":
                return file["links"]["contentUrl"]
        return ""


def _long_audio_view(synthesis: dict[str, Any]) -> JobView:
    properties = synthesis.get("properties", {})
    return JobView(
        job_id=synthesis.get("displayName", ""),
        status=synthesis["status"],
        service_id=synthesis["id"],
        error=None if synthesis["status"] != "Failed" else "the Long Audio synthesis failed",
        billable_characters=properties.get("billableCharacterCount", 0) or 0,
        results_ready=synthesis["status"] in ("Succeeded", "Failed"),
    )


def _rewrite_as_batch(job_id: str, source: zipfile.ZipFile, target: zipfile.ZipFile) -> None:
    """Long Audio's result zip → the batch layout (summary.json + NNNN.<ext>), streamed
    member by member."""
    results: dict[str, dict[str, Any]] = {}
    for name in sorted(source.namelist()):
        if match := _AUDIO_MEMBER.match(name):
            with source.open(name) as member, target.open(name, "w") as copy:
                while chunk := member.read(1 << 20):
                    copy.write(chunk)
            results[match[1]] = {"status": "Succeeded", "audioFileName": name, "texts": []}
        elif match := _ERROR_MEMBER.match(name):
            message = source.read(name).decode("utf-8", "replace").strip()[:500]
            results[match[1]] = {"status": "Failed", "errorMessage": message, "texts": []}
    entries = [results[number] for number in sorted(results)]
    failed = any(entry["status"] == "Failed" for entry in entries)
    summary = {"jobID": job_id, "status": "Failed" if failed else "Succeeded", "results": entries}
    target.writestr("summary.json", json.dumps(summary))


def _script(request: JobRequest) -> bytes:
    """One paragraph per line: plain text as it is, SSML documents on one line each;
    UTF-8 with a byte order mark, as the Long Audio API requires."""
    lines = (" ".join(item.content.split()) for item in request.inputs)
    return "\ufeff".encode() + "\n".join(lines).encode()


def _voices_of(request: JobRequest) -> list[str]:
    if request.input_kind == "PlainText":
        return [str(request.synthesis_config["voice"])]
    names = (_VOICE_NAME.findall(item.content) for item in request.inputs)
    return list(dict.fromkeys(voice for found in names for voice in found))


def check_long_audio(requests: Iterable[JobRequest], output_format: str) -> None:
    """The Long Audio API's input rules, as InputErrors that say what to do instead."""
    if output_format not in FORMATS:
        raise InputError(
            "metadata",
            f"The Long Audio API cannot produce {output_format}; choose one of "
            f"{', '.join(sorted(FORMATS))}, or use backend=batch.",
            where="metadata key 'outputformat'",
        )
    for request in requests:
        characters = sum(item.characters for item in request.inputs)
        if characters <= MIN_CHARACTERS:
            raise InputError(
                "size",
                f"The Long Audio API needs more than {MIN_CHARACTERS} characters "
                f"per synthesis; this has {characters}. Use backend=batch for short files.",
            )
        if len(request.inputs) >= MAX_PARAGRAPHS:
            raise InputError(
                "size",
                f"The Long Audio API takes fewer than {MAX_PARAGRAPHS:,} "
                "paragraphs per synthesis; set MAX_INPUTS_PER_JOB lower, or use backend=batch.",
            )
