"""Azure Speech **Long Audio API v3.0** client, and its input rules.

The Long Audio API (retired 1 April 2027) lives at
``https://<region>.customvoice.api.speech.microsoft.com/api/texttospeech/v3.0/longaudiosynthesis``.
A synthesis is created by a multipart/form-data POST of one script file plus form fields;
the service picks its id (202 + ``Location``). Lists page with ``@nextLink``; errors are
``{"code", "message", "innerError"?}`` (no ``{"error": ...}`` envelope); results are files
(``/{id}/files``) whose ``links.contentUrl`` are SAS URLs.

`LongAudioClient` shares `RestClient` with the batch client: the same auth (key or
Microsoft Entra ID), retries honouring ``Retry-After``, `request_counts` and typed errors.
The create POST is not idempotent, so it is retried only when it cannot have been acted on
(not sent, 429, 503).

`prepare_script` applies the documented input rules before anything is sent: UTF-8 with a
byte order mark (plain text is re-encoded so; SSML is sent as it is and must already be),
more than 400 characters (SSML: billable characters), fewer than 10,000 paragraphs (one
per line; one ``<speak>`` document per line for SSML).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import httpx

from shared import text_split
from shared.documents import kind_of
from shared.errors import InputError, SpeechServiceError
from shared.speech import RestClient
from shared.ssml import parse_speak_documents

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "MAX_PARAGRAPHS",
    "MIN_CHARACTERS",
    "RESULT_KIND",
    "LongAudioClient",
    "Script",
    "locale_of",
    "prepare_script",
]

MIN_CHARACTERS = 400  # a script must have more
MAX_PARAGRAPHS = 10_000  # a script must have fewer
DEFAULT_FORMAT = "riff-16khz-16bit-mono-pcm"
#: The ten output formats the Long Audio API documents.
FORMATS = (
    "riff-8khz-16bit-mono-pcm",
    "riff-16khz-16bit-mono-pcm",
    "riff-24khz-16bit-mono-pcm",
    "riff-48khz-16bit-mono-pcm",
    "audio-16khz-32kbitrate-mono-mp3",
    "audio-16khz-64kbitrate-mono-mp3",
    "audio-16khz-128kbitrate-mono-mp3",
    "audio-24khz-48kbitrate-mono-mp3",
    "audio-24khz-96kbitrate-mono-mp3",
    "audio-24khz-160kbitrate-mono-mp3",
)
RESULT_KIND = "LongAudioSynthesisResult"
SCRIPT_EXTENSIONS = {".txt": "text", ".ssml": "ssml", ".xml": "ssml"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LOCALE = re.compile(r"^([a-zA-Z]{2,3}-[a-zA-Z0-9]{2,8})-.")


class LongAudioClient(RestClient):
    """A small, synchronous client for the Long Audio API v3.0."""

    API_PATH = "/api/texttospeech/v3.0/longaudiosynthesis"
    API_VERSION = None  # in the path
    SERVICE = "longaudio"
    NOUN = "synthesis"
    ERROR_ENVELOPE = None

    def voices(self) -> list[dict[str, Any]]:
        """The voices the Long Audio API offers (``voiceName``, ``locale``, ``gender``...)."""
        return self._send("voices", "GET", f"{self.API_PATH}/voices").json().get("values", [])

    def create(
        self,
        *,
        script: bytes,
        display_name: str,
        locale: str,
        voices: list[dict[str, Any]],
        output_format: str,
        concatenate: bool,
        description: str = "",
        script_name: str = "script.txt",
    ) -> dict[str, Any]:
        """Submit a script; returns the new synthesis (with its ``id``).

        `voices` are voice identities, ``{"voicename": ...}`` or ``{"id": ...}``. The
        service answers 202 with ``Location``; when its body is empty the synthesis is read
        from there.
        """
        fields = {
            "displayname": display_name,
            "description": description,
            "locale": locale,
            "voices": json.dumps(voices),
            "outputformat": output_format,
            "concatenateresult": "true" if concatenate else "false",
        }
        response = self._send(
            "create",
            "POST",
            self.API_PATH,
            data=fields,
            files={"script": (script_name, script, "text/plain")},
            idempotent=False,
        )
        location = response.headers.get("Location")
        synthesis = _json_or_none(response)
        if not synthesis and location:
            synthesis = self._send("get", "GET", self._absolute(location)).json()
        synthesis = dict(synthesis or {})
        if not synthesis.get("id") and location:
            synthesis["id"] = httpx.URL(location).path.rstrip("/").rsplit("/", 1)[-1]
        if not synthesis.get("id"):
            raise SpeechServiceError(
                response.status_code,
                "InvalidResponse",
                "the Long Audio API accepted the script but named no synthesis",
            )
        return synthesis

    def get(self, synthesis_id: str) -> dict[str, Any] | None:
        """The synthesis, or None if the service does not know it (never made, or deleted)."""
        response = self._send("get", "GET", self._path(synthesis_id), allow_not_found=True)
        return None if response.status_code == 404 else response.json()

    def list(self, top: int = 100) -> Iterator[dict[str, Any]]:
        """Every synthesis of the resource, page by page (``@nextLink``)."""
        url: str | None = f"{self.API_PATH}?top={top}"
        while url:
            page = self._send("list", "GET", url).json()
            yield from page.get("values", [])
            url = page.get("@nextLink")

    def files(self, synthesis_id: str) -> list[dict[str, Any]]:
        """The synthesis' files: its script and, once finished, its result zip."""
        response = self._send("files", "GET", f"{self._path(synthesis_id)}/files")
        return response.json().get("values", [])

    def delete(self, synthesis_id: str) -> bool:
        """Delete a synthesis; False if it was already gone. The service refuses (400,
        `SpeechServiceError`) while it is NotStarted or Running."""
        response = self._send("delete", "DELETE", self._path(synthesis_id), allow_not_found=True)
        return response.status_code != 404

    def download(self, synthesis_id: str, url: str, sink: IO[bytes]) -> int:
        """Stream a file (its ``links.contentUrl``, a SAS URL: no auth header) into `sink`."""
        return super().download(synthesis_id, url, sink)

    def _path(self, synthesis_id: str) -> str:
        return f"{self.API_PATH}/{synthesis_id}"

    def _absolute(self, location: str) -> str:
        return str(httpx.URL(self._base + "/").join(location))


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        return None


def locale_of(voice: str) -> str | None:
    """The locale a voice short name starts with (``en-US-JennyNeural`` → ``en-US``)."""
    match = _LOCALE.match(voice.strip())
    return match.group(1) if match else None


@dataclass(frozen=True)
class Script:
    """A file ready to be the ``script`` of a synthesis."""

    kind: str  # text | ssml
    data: bytes  # UTF-8 with BOM, as it will be sent
    paragraphs: int
    characters: int  # billable: plain text as is, SSML its text content
    voices: tuple[str, ...] = ()  # SSML: the voice names it uses, in order of appearance


def prepare_script(name: str, data: bytes) -> Script:
    """Check a file against the Long Audio input rules; InputError says what to fix."""
    kind = kind_of(name, SCRIPT_EXTENSIONS, " by the Long Audio API")
    if not data.strip():
        raise InputError("empty", "The file is empty.")
    if kind == "ssml" and not data.startswith(codecs.BOM_UTF8):
        raise InputError(
            "encoding",
            "The Long Audio API takes SSML only as UTF-8 with a byte order mark, and SSML is "
            "sent as it is: save the file as UTF-8 with BOM.",
        )
    text = text_split.decode(data)
    lines = [(number, line) for number, line in enumerate(_LINE_BREAK.split(text), 1)]
    paragraphs = [(number, line) for number, line in lines if line.strip()]
    if len(paragraphs) >= MAX_PARAGRAPHS:
        raise InputError(
            "size",
            f"The file has {len(paragraphs):,} paragraphs (non-blank lines); the Long Audio "
            f"API takes fewer than {MAX_PARAGRAPHS:,}: split it into several files.",
        )
    voices: list[str] = []
    if kind == "text":
        characters = sum(len(line) for _, line in paragraphs)
        script = codecs.BOM_UTF8 + text.encode("utf-8")
    else:
        characters = 0
        for number, line in paragraphs:
            if not line.lstrip().startswith("<speak"):
                raise InputError(
                    "ssml",
                    "The Long Audio API reads one complete <speak> document per line; this "
                    "line does not start one (no XML declaration, no document over several "
                    "lines).",
                    f"line {number}",
                )
            try:
                (document,) = parse_speak_documents(line, single=True)
            except InputError as error:
                raise InputError(error.code, error.message, f"line {number}") from None
            characters += document.characters
            voices += [voice for voice, _ in document.voices if voice not in voices]
        script = data
    if characters <= MIN_CHARACTERS:
        raise InputError(
            "size",
            f"The file has {characters} characters"
            + (" of text" if kind == "ssml" else "")
            + f"; the Long Audio API needs more than {MIN_CHARACTERS} (the batch API takes "
            "short texts).",
        )
    return Script(kind, script, len(paragraphs), characters, tuple(voices))
