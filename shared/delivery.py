"""Results → output container: audio, timings, error reports and the manifest.

Everything for one input file goes under one folder of the output container named after
the input blob (its folder structure kept): ``<input name>/audio.<ext>``, ``words.json``,
``sentences.json`` and ``manifest.json``, or ``error.json`` and ``manifest.json`` when
the file failed. The manifest is always written last: downstream services may treat its
appearance as "done".

Memory stays bounded whatever the size of the result: each job's zip is spooled to a
temporary file, audio is staged into the output blob in blocks of at most
`BLOCK_BYTES`, and timings are spooled to temporary files before upload.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import BlobClient, ContainerClient, ContentSettings

from shared.audio import AudioFormat, Piece, parse_format, split_piece, wav_header
from shared.errors import InputError

__all__ = [
    "BLOCK_BYTES",
    "DeliveredAudio",
    "InputFailure",
    "OutputFolder",
    "ResultArchive",
    "ResultItem",
    "output_folder_for",
]

logger = logging.getLogger(__name__)

BLOCK_BYTES = 4 * 1024 * 1024
_SPOOL_BYTES = 4 * 1024 * 1024
_MAX_NAME = 900
_CONTENT_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}


def output_folder_for(blob_name: str) -> str:
    """The output folder for an input blob: its name, made safe to use as a prefix.

    Blob names are opaque keys, but URL handling normalises ``.`` and ``..`` segments and
    tools treat empty segments and backslashes oddly. So ``%`` is escaped as ``%25`` and
    then empty, ``.`` and ``..`` segments become ``%``, ``%2E`` and ``%2E%2E`` and a backslash
    becomes ``%5C``: different names always get different folders, and most names
    (no ``%``, no odd segments) are their own folder. Control characters, line and
    paragraph separators, bidirectional overrides and over-long names are refused with
    an InputError.
    """
    if len(blob_name) > _MAX_NAME:
        raise InputError(
            "name",
            f"The file name is {len(blob_name)} characters long; use at most {_MAX_NAME}.",
        )
    if any(_is_unsafe(char) for char in blob_name):
        raise InputError(
            "name",
            "The file name contains control or text-direction characters; rename the file.",
        )
    escaped = blob_name.replace("%", "%25").replace("\\", "%5C")
    return "/".join(_SEGMENT_ESCAPES.get(segment, segment) for segment in escaped.split("/"))


_SEGMENT_ESCAPES = {"": "%", ".": "%2E", "..": "%2E%2E"}
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_unsafe(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS


@dataclass(frozen=True)
class InputFailure:
    """One input the service could not voice."""

    index: int  # 0-based, across the whole file
    message: str
    text: str

    def describe(self) -> str:
        excerpt = " ".join(self.text.split())[:80]
        return f"input {self.index + 1} ({excerpt!r}): {self.message}"


@dataclass
class DeliveredAudio:
    files: list[str] = field(default_factory=list)
    duration_ms: float = 0.0
    size_bytes: int = 0


@dataclass(frozen=True)
class ResultItem:
    """One input's result inside a job's results.zip."""

    index: int
    piece: Piece
    words: list[dict[str, Any]] | None
    sentences: list[dict[str, Any]] | None


class ResultArchive:
    """A job's results.zip: the summary up front, each input's audio read on demand.

    Only one input's audio is in memory at a time, whatever the size of the archive.
    """

    def __init__(self, archive: zipfile.ZipFile, audio_format: AudioFormat) -> None:
        self._archive = archive
        self._format = audio_format
        self.entries: list[dict[str, Any]] = json.loads(archive.read("summary.json")).get(
            "results", []
        )

    def failed_positions(self) -> list[int]:
        return [i for i, entry in enumerate(self.entries) if entry.get("status") != "Succeeded"]

    def failure(self, position: int, index: int) -> InputFailure:
        entry = self.entries[position]
        message = entry.get("errorMessage") or "the service could not synthesize it"
        return InputFailure(index, message, str((entry.get("texts") or [""])[0]))

    def item(self, position: int, index: int) -> ResultItem:
        """The audio and timings of the entry at `position`, as input `index` of the file."""
        entry = self.entries[position]
        properties = entry.get("properties", {})
        return ResultItem(
            index,
            split_piece(self._format, self._archive.read(entry["audioFileName"])),
            self._boundaries(properties.get("wordBoundaryFileName")),
            self._boundaries(properties.get("sentenceBoundaryFileName")),
        )

    def _boundaries(self, name: str | None) -> list[dict[str, Any]] | None:
        return json.loads(self._archive.read(name)) if name else None


class OutputFolder:
    """Writes one input file's outputs into the output container."""

    def __init__(self, container: ContainerClient, folder: str, output_format: str) -> None:
        self._container = container
        self.folder = folder
        self.format = parse_format(output_format)
        self._joined: _JoinedAudio | None = None
        self._words: _JsonArraySpool | None = None
        self._sentences: _JsonArraySpool | None = None
        self.audio = DeliveredAudio()
        self.timings: dict[str, str] = {}

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Drop the timing spools (uploaded or not)."""
        for spool in (self._words, self._sentences):
            if spool is not None:
                spool.close()

    def path(self, name: str) -> str:
        return f"{self.folder}/{name}"

    def add(self, item: ResultItem, concatenate: bool) -> None:
        """Write the audio of the next input (in order) and collect its timings."""
        if concatenate:
            if self._joined is None:
                name = f"audio.{self.format.extension}"
                self._joined = _JoinedAudio(self._blob(name), self.format)
                self.audio.files.append(name)
            offset = self._joined.add(item.piece)
        else:
            name = f"audio/{item.index + 1:04d}.{self.format.extension}"
            self._upload_piece(name, item.piece)
            self.audio.files.append(name)
            self.audio.duration_ms += item.piece.duration_ms
            offset = 0.0
        if item.words is not None:
            self._words = self._words or _JsonArraySpool()
            self._words.extend(_shifted(item.words, offset, item.index, concatenate))
        if item.sentences is not None:
            self._sentences = self._sentences or _JsonArraySpool()
            self._sentences.extend(_shifted(item.sentences, offset, item.index, concatenate))

    def finish_audio(self) -> dict[str, str]:
        """Commit the joined audio and upload the timings; returns the timing file names."""
        if self._joined is not None:
            self._joined.commit()
            self.audio.duration_ms = self._joined.offset_ms
            self.audio.size_bytes = self._joined.size
        for kind, spool in (("words", self._words), ("sentences", self._sentences)):
            if spool is not None:
                self.timings[kind] = f"{kind}.json"
                spool.upload(self._blob(f"{kind}.json"))
        return self.timings

    def retract_manifest(self) -> None:
        """Remove an earlier manifest.json before the folder is rewritten, so that a
        manifest never stands beside outputs it does not describe."""
        with contextlib.suppress(ResourceNotFoundError):
            self._blob("manifest.json").delete_blob()

    def remove_stale(self, keep: set[str]) -> None:
        """Delete what an earlier version of the input left in the folder (other audio
        files, timings it no longer has, an old error.json)."""
        prefix = self.folder + "/"
        for blob in self._container.list_blobs(name_starts_with=prefix):
            if blob.name[len(prefix) :] not in keep:
                self._container.delete_blob(blob.name)

    def write_json(self, name: str, document: dict[str, Any]) -> None:
        data = json.dumps(document, indent=2, ensure_ascii=False).encode()
        self._blob(name).upload_blob(
            data,
            overwrite=True,
            content_settings=ContentSettings(content_type="application/json; charset=utf-8"),
        )

    def _upload_piece(self, name: str, piece: Piece) -> None:
        data = piece.payload
        if self.format.kind == "riff":
            data = wav_header(piece.fmt_chunk, len(piece.payload)) + piece.payload
        self._blob(name).upload_blob(
            data, overwrite=True, content_settings=_content_settings(self.format)
        )
        self.audio.size_bytes += len(data)

    def _blob(self, name: str) -> BlobClient:
        return self._container.get_blob_client(self.path(name))


def _content_settings(audio_format: AudioFormat) -> ContentSettings:
    return ContentSettings(
        content_type=_CONTENT_TYPES.get(audio_format.extension, "application/octet-stream")
    )


def _shifted(
    boundaries: list[dict[str, Any]], offset_ms: float, index: int, concatenate: bool
) -> Iterator[dict[str, Any]]:
    for boundary in boundaries:
        shifted = {
            "Text": boundary["Text"],
            "AudioOffset": round(boundary["AudioOffset"] + offset_ms),
            "Duration": boundary["Duration"],
        }
        if not concatenate:
            shifted["Input"] = index + 1
        yield shifted


class _JoinedAudio:
    """One audio blob built from many pieces, staged in blocks, committed at the end."""

    def __init__(self, blob: BlobClient, audio_format: AudioFormat) -> None:
        self._blob = blob
        self._format = audio_format
        self._block_ids: list[str] = []
        self._buffer = bytearray()
        self._fmt_chunk: bytes | None = None
        self.offset_ms = 0.0
        self.size = 0

    def add(self, piece: Piece) -> float:
        """Append a piece; returns the offset (ms) at which it starts."""
        start = self.offset_ms
        if piece.fmt_chunk is not None:
            if self._fmt_chunk is None:
                self._fmt_chunk = piece.fmt_chunk
            elif piece.fmt_chunk != self._fmt_chunk:
                raise ValueError("audio pieces of one file have different formats")
        self._buffer += piece.payload
        self.offset_ms += piece.duration_ms
        while len(self._buffer) >= BLOCK_BYTES:
            self._stage(bytes(self._buffer[:BLOCK_BYTES]))
            del self._buffer[:BLOCK_BYTES]
        return start

    def commit(self) -> None:
        if self._buffer:
            self._stage(bytes(self._buffer))
            self._buffer.clear()
        block_ids = list(self._block_ids)
        if self._format.kind == "riff":
            header = wav_header(self._fmt_chunk or b"", self.size)
            header_id = _block_id("header")
            self._blob.stage_block(header_id, header)
            block_ids.insert(0, header_id)
            self.size += len(header)
        self._blob.commit_block_list(block_ids, content_settings=_content_settings(self._format))

    def _stage(self, data: bytes) -> None:
        block_id = _block_id(f"{len(self._block_ids):06d}")
        self._blob.stage_block(block_id, data)
        self._block_ids.append(block_id)
        self.size += len(data)


def _block_id(name: str) -> str:
    # Block ids of one blob must all have the same length.
    return base64.b64encode(name.rjust(8, "0").encode()).decode()


class _JsonArraySpool:
    """A JSON array written element by element to a spooled temporary file."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        self._count = 0
        self._file.write(b"[")

    def extend(self, elements: Iterable[dict[str, Any]]) -> None:
        for element in elements:
            self._file.write(b",\n " if self._count else b"\n ")
            self._file.write(json.dumps(element, ensure_ascii=False).encode())
            self._count += 1

    def upload(self, blob: BlobClient) -> None:
        self._file.write(b"\n]\n")
        self._file.seek(0)
        blob.upload_blob(
            self._file,
            overwrite=True,
            content_settings=ContentSettings(content_type="application/json; charset=utf-8"),
        )

    def close(self) -> None:
        self._file.close()
