"""The Long Audio API's submission rules: a multipart/form-data POST → a checked `Submission`.

Fields (names case-insensitive, as the docs' Python sample sends `displayname` and the C#
sample `displayName`): `script` (the file), `displayname`, `description`, `locale`, `voices`
(a JSON array of `{"voicename": ...}` or `{"id": ...}`, keys case-insensitive), `outputformat`,
`concatenateresult`. The documented input rules:

- the script is UTF-8 **with BOM**;
- it has **more than 400 characters** (plain text) or 400 billable characters (SSML);
- it has **fewer than 10,000 paragraphs**: plain text paragraphs are separated by line breaks
  (CR, LF or CRLF; blank lines are not paragraphs); SSML scripts hold one `<speak>` document
  per paragraph (a script whose first paragraph starts with `<speak` is SSML);
- one of the ten documented output formats (default `riff-16khz-16bit-mono-pcm`).

Problems raise `ApiError` with the Speech v3.0 error codes (`InvalidRequest`,
`InvalidArgument`, `NotFound`) and the service's documented messages where it has one.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP

from emulator.audio import lookup
from emulator.errors import ApiError
from emulator.ssml import SsmlError, billable_characters, check_ssml, parse_ssml
from emulator.voices import VOICES, Voice, find_voice

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "MAX_PARAGRAPHS",
    "MIN_CHARACTERS",
    "INVALID_ARGUMENT",
    "INVALID_REQUEST",
    "Submission",
    "parse_form",
    "parse_submission",
    "voice_by_id",
    "voice_id",
]

INVALID_REQUEST, INVALID_ARGUMENT, NOT_FOUND = "InvalidRequest", "InvalidArgument", "NotFound"
MIN_CHARACTERS = 400  # the script must have more
MAX_PARAGRAPHS = 10_000  # the script must have fewer
DEFAULT_FORMAT = "riff-16khz-16bit-mono-pcm"
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
_BOM = b"\xef\xbb\xbf"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_VOICE_NAMESPACE = uuid.UUID("5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f")

_NOT_BOM = (
    "The voice synthesis only supports the text file in the UTF-8 encoding with the "
    "byte-order marker."
)
_NOT_SSML = "Only valid SSML inputs are allowed in the voice synthesis request."
_TOO_MANY = f"The number of paragraphs in the input file should be less than {MAX_PARAGRAPHS:,}."
_TOO_SHORT = f"The input file should be more than {MIN_CHARACTERS} characters."


def _bad(message: str, inner: str, code: str = INVALID_ARGUMENT, status: int = 400) -> ApiError:
    return ApiError(status, code, message, inner)


def voice_id(voice: Voice) -> str:
    """A stable GUID per voice (the service gives custom voices GUIDs; here every voice has one)."""
    return str(uuid.uuid5(_VOICE_NAMESPACE, voice.name))


_BY_ID = {voice_id(v): v for v in VOICES.values()}


def voice_by_id(value: str) -> Voice | None:
    return _BY_ID.get(value.strip().lower())


@dataclass(frozen=True)
class Submission:
    display_name: str
    description: str | None
    locale: str
    voices: list[Voice]
    models: list[dict]  # the `models` echoed in the synthesis: {"voiceName"} or {"id", "voiceName"}
    output_format: str
    concatenate: bool
    kind: str  # PlainText | SSML
    paragraphs: list[str]
    script: bytes  # as uploaded, BOM included


def parse_form(content_type: str | None, body: bytes) -> dict[str, bytes]:
    """multipart/form-data → {lower-case field name: bytes} (415 if not multipart)."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise _bad(
            "The request must be multipart/form-data with the script file in 'script'.",
            "InvalidPayload",
            INVALID_REQUEST,
            415,
        )
    header = b"Content-Type: " + (content_type or "").encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    fields: dict[str, bytes] = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str) and name:
                fields.setdefault(name.lower(), part.get_payload(decode=True) or b"")
    return fields


def _text(fields: dict[str, bytes], name: str) -> str | None:
    raw = fields.get(name)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _bad(f"'{name}' must be UTF-8 text.", "InvalidParameterValue") from None


def _required(fields: dict[str, bytes], name: str) -> str:
    value = _text(fields, name)
    if not value:
        raise _bad(f"'{name}' is required.", "MissingParameter", INVALID_REQUEST)
    return value


def _voices(raw: str) -> tuple[list[Voice], list[dict]]:
    try:
        items = json.loads(raw)
    except ValueError:
        items = None
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise _bad(
            "'voices' must be a JSON array of voice identities, "
            '[{"voicename": "en-US-JennyNeural"}] or [{"id": "<voice id>"}].',
            "InvalidParameterValue",
        )
    voices, models = [], []
    for item in items:
        keys = {str(k).lower(): v for k, v in item.items() if v is not None}
        given_id, name = keys.get("id"), keys.get("voicename")
        if given_id is not None:
            voice = voice_by_id(str(given_id))
            if voice is None:
                raise _bad(
                    "The model declared in the voice synthesis definition can't be found: "
                    f"{given_id}.",
                    "InvalidModel",
                    NOT_FOUND,
                    404,
                )
            models.append({"id": voice_id(voice), "voiceName": voice.name})
        elif isinstance(name, str) and name.strip():
            voice = find_voice(name)
            if voice is None:
                raise _bad(
                    f"This model can't be used in the voice synthesis: {name}.", "InvalidModel"
                )
            models.append({"voiceName": voice.name})
        else:
            raise _bad("Each voice needs 'voicename' or 'id'.", "InvalidParameterValue")
        voices.append(voice)
    return voices, models


def _paragraphs(script: bytes) -> tuple[str, list[str]]:
    if not script.startswith(_BOM):
        raise _bad(_NOT_BOM, "InvalidEncoding", INVALID_REQUEST)
    try:
        text = script[len(_BOM) :].decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(_NOT_BOM, "InvalidEncoding", INVALID_REQUEST) from None
    paragraphs = [p for p in _LINE_BREAK.split(text) if p.strip()]
    kind = "SSML" if paragraphs and paragraphs[0].lstrip().startswith("<speak") else "PlainText"
    if len(paragraphs) >= MAX_PARAGRAPHS:
        raise _bad(_TOO_MANY, "TooManyParagraphs", INVALID_REQUEST)
    if kind == "SSML":
        for paragraph in paragraphs:
            if check_ssml(paragraph) is not None:
                raise _bad(_NOT_SSML, "InvalidSsml", INVALID_REQUEST)
    if sum(billable_characters(p, kind) for p in paragraphs) <= MIN_CHARACTERS:
        raise _bad(_TOO_SHORT, "ScriptTooShort", INVALID_REQUEST)
    return kind, paragraphs


def _ssml_voices(paragraphs: list[str]) -> set[str]:
    names: set[str] = set()
    for paragraph in paragraphs:
        try:
            names |= {p.voice.strip().lower() for p in parse_ssml(paragraph) if p.voice}
        except SsmlError:
            continue  # fails that paragraph at synthesis
    return names


def parse_submission(fields: dict[str, bytes]) -> Submission:
    """The form fields → a Submission, or ApiError (first problem found, in field order)."""
    script = fields.get("script")
    if script is None:
        raise _bad("The 'script' file is required.", "MissingParameter", INVALID_REQUEST)
    kind, paragraphs = _paragraphs(script)
    display_name = _required(fields, "displayname")
    description = _text(fields, "description")
    locale = _required(fields, "locale")
    voices, models = _voices(_required(fields, "voices"))
    for voice in voices:
        if voice.locale.lower() != locale.lower():
            raise _bad(
                f"The voice '{voice.name}' does not support the locale '{locale}'.",
                "InvalidLocale",
            )
    if kind == "SSML":
        used = _ssml_voices(paragraphs)
        for voice in voices:
            if voice.name.lower() not in used:
                raise _bad(
                    f"The voice name {voice.name} isn't found in the input file.",
                    "VoiceNotInScript",
                    INVALID_REQUEST,
                )
    format_name = (_text(fields, "outputformat") or DEFAULT_FORMAT).lower()
    if format_name not in FORMATS or lookup(format_name) is None:
        raise _bad(
            f"The output format '{format_name}' is not supported by the Long Audio API "
            f"(one of {', '.join(FORMATS)}).",
            "InvalidParameterValue",
        )
    concatenate = (_text(fields, "concatenateresult") or "false").lower()
    if concatenate not in ("true", "false", "1", "0"):
        raise _bad("'concatenateresult' must be true or false.", "InvalidParameterValue")
    return Submission(
        display_name=display_name,
        description=description or None,
        locale=voices[0].locale,  # every voice matches it; the catalogue's spelling
        voices=voices,
        models=models,
        output_format=format_name,
        concatenate=concatenate in ("true", "1"),
        kind=kind,
        paragraphs=paragraphs,
        script=script,
    )
