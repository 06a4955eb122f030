"""A job's outputs: audio per input (or concatenated), boundary files, summary.json, the
results zip, and delivery into a destination container through its SAS URL.

Zip / container layout (numbered by input position, 1-based, 4 digits):

    0001.wav  0001.word.json  0001.sentence.json  0002.wav ...  summary.json

`NNNN.word.json` / `NNNN.sentence.json`: `[{"Text": str, "AudioOffset": ms, "Duration":
ms}]`, ordered, inside the audio. summary.json:

    {"jobID": id, "status": "Succeeded"|"Failed",
     "results": [{"texts": [content], "status": "Succeeded"|"Failed",
                  "audioFileName": "0001.wav",
                  "properties": {"audioSize": bytes, "durationInMilliseconds": ms,
                                 "wordBoundaryFileName": "0001.word.json",
                                 "sentenceBoundaryFileName": "0001.sentence.json"},
                  "errorMessage": "..."}]}

(a failed entry has `texts`, `status` and `errorMessage` only; boundary file names only
when enabled). With concatenateResult one entry covers all inputs (`texts` lists them).
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import httpx
import numpy as np

from emulator.audio import AudioFormat, encode, lookup
from emulator.speech import Boundary, Engine, Rendering, UnknownVoiceError
from emulator.ssml import Piece, SsmlError, billable_characters, parse_ssml, plain_pieces

__all__ = ["DeliveryError", "JobOutput", "build_output", "deliver", "zip_files"]

logger = logging.getLogger(__name__)

_CONTENT_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "raw": "application/octet-stream",
    "json": "application/json",
    "zip": "application/zip",
}


class DeliveryError(RuntimeError):
    """Writing to the destination container failed (message has no SAS query)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class JobOutput:
    status: str  # Succeeded | Failed
    files: dict[str, bytes] = field(default_factory=dict)  # name -> bytes, summary.json last
    summary: dict = field(default_factory=dict)
    size_bytes: int = 0
    duration_ms: int = 0
    succeeded: int = 0
    failed: int = 0
    characters: int = 0
    error_message: str | None = None


def _pieces(kind: str, content: str, config: dict | None) -> list[Piece]:
    if kind == "SSML":
        return parse_ssml(content)
    config = config or {}
    return plain_pieces(
        content,
        config.get("voice", ""),
        config.get("rate"),
        config.get("pitch"),
        config.get("volume"),
        config.get("style"),
    )


def _boundaries(rendering: Rendering, items, duration_ms: int) -> bytes:
    out = []
    for b in items:
        offset = min(rendering.ms(b.start), duration_ms)
        end = min(max(rendering.ms(b.end), offset), duration_ms)
        out.append({"Text": b.text, "AudioOffset": offset, "Duration": end - offset})
    return json.dumps(out, ensure_ascii=False, indent=2).encode()


def _concat(renderings: list[Rendering]) -> Rendering:
    rate = renderings[0].sample_rate
    words, sentences, parts, offset = [], [], [], 0
    for r in renderings:
        words += [Boundary(b.text, b.start + offset, b.end + offset) for b in r.words]
        sentences += [Boundary(b.text, b.start + offset, b.end + offset) for b in r.sentences]
        parts.append(r.samples)
        offset += len(r.samples)
    return Rendering(rate, np.concatenate(parts), words, sentences)


def build_output(
    job_id: str,
    definition: dict,
    engine: Engine,
    input_fails: Callable[[int], bool] = lambda index: False,
) -> JobOutput:
    """Synthesise every input and build the files (the summary included)."""
    kind = definition["inputKind"]
    props = definition["properties"]
    fmt: AudioFormat = lookup(props["outputFormat"])  # validated at submission
    contents = [item["content"] for item in definition["inputs"]]
    renderings: list[Rendering | None] = []
    errors: list[str | None] = []
    for index, content in enumerate(contents):
        try:
            if input_fails(index):
                raise RuntimeError("Synthesis failed for this input (injected fault).")
            renderings.append(
                engine.render(_pieces(kind, content, definition.get("synthesisConfig")))
            )
            errors.append(None)
        except (UnknownVoiceError, SsmlError, RuntimeError) as exc:
            renderings.append(None)
            errors.append(str(exc))

    output = JobOutput(status="Failed")
    entries = []
    if props["concatenateResult"]:
        failures = "; ".join(e for e in errors if e)
        units = [(contents, None if failures else _concat(renderings), failures or None)]
    else:
        units = [([c], r, e) for c, r, e in zip(contents, renderings, errors, strict=True)]

    for number, (texts, rendering, error) in enumerate(units, start=1):
        if rendering is None:
            output.failed += 1
            entries.append({"texts": texts, "status": "Failed", "errorMessage": error})
            continue
        stem = f"{number:04d}"
        audio = encode(rendering.samples, rendering.sample_rate, fmt)
        duration_ms = round(len(rendering.samples) * 1000 / rendering.sample_rate)
        name = f"{stem}.{fmt.extension}"
        output.files[name] = audio
        entry_props: dict = {"audioSize": len(audio), "durationInMilliseconds": duration_ms}
        if props["wordBoundaryEnabled"]:
            output.files[f"{stem}.word.json"] = _boundaries(rendering, rendering.words, duration_ms)
            entry_props["wordBoundaryFileName"] = f"{stem}.word.json"
        if props["sentenceBoundaryEnabled"]:
            output.files[f"{stem}.sentence.json"] = _boundaries(
                rendering, rendering.sentences, duration_ms
            )
            entry_props["sentenceBoundaryFileName"] = f"{stem}.sentence.json"
        entries.append(
            {
                "texts": texts,
                "status": "Succeeded",
                "audioFileName": name,
                "properties": entry_props,
            }
        )
        output.succeeded += 1
        output.size_bytes += len(audio)
        output.duration_ms += duration_ms
        output.characters += sum(billable_characters(t, kind) for t in texts)

    output.status = "Succeeded" if output.succeeded else "Failed"
    if not output.succeeded:
        output.error_message = next((e for e in errors if e), "All inputs failed.")
    output.summary = {"jobID": job_id, "status": output.status, "results": entries}
    output.files["summary.json"] = json.dumps(output.summary, ensure_ascii=False, indent=2).encode()
    return output


def zip_files(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _safe(url: str) -> str:
    """The URL without its query (never log a SAS token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def deliver(
    container_url: str, prefix: str, files: dict[str, bytes], decompress: bool, zipped: bytes
) -> tuple[str, str | None]:
    """Write outputs into the container; returns (outputs.result, outputs.summary)."""
    parts = urlsplit(container_url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    uploads = (
        [(f"{prefix}/{name}", data) for name, data in files.items()]
        if decompress
        else [(f"{prefix}/results.zip", zipped)]
    )
    with httpx.Client(timeout=30) as client:
        for blob_name, data in uploads:
            url = f"{base}/{quote(blob_name)}?{parts.query}"
            extension = blob_name.rsplit(".", 1)[-1]
            try:
                response = client.put(
                    url,
                    content=data,
                    headers={
                        "x-ms-blob-type": "BlockBlob",
                        "x-ms-version": "2021-08-06",
                        "Content-Type": _CONTENT_TYPES.get(extension, "application/octet-stream"),
                    },
                )
            except httpx.HTTPError as exc:
                raise DeliveryError(
                    f"Cannot reach the destination container {_safe(container_url)} "
                    f"({type(exc).__name__})."
                ) from None
            if response.status_code >= 300:
                code = response.headers.get("x-ms-error-code", "")
                logger.warning(
                    "upload of %s to %s failed: %s %s",
                    blob_name,
                    _safe(container_url),
                    response.status_code,
                    code,
                )
                raise DeliveryError(
                    f"Writing '{blob_name}' to the destination container {_safe(container_url)} "
                    f"failed with HTTP {response.status_code} {code}".rstrip()
                    + ".",
                    response.status_code,
                )
    if decompress:
        return prefix, f"{prefix}/summary.json"
    return f"{prefix}/results.zip", None
