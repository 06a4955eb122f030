"""Dropped file bytes -> validated batch synthesis job requests. Pure: no I/O, no network.

`build_document(name, data, metadata, settings, voices)` is the whole interface. Every way
a file can be wrong ends in `InputError(code, message, where)`; codes:

    extension  the file name's extension is not .txt, .ssml, .xml or .json
    empty      nothing to say (empty, whitespace only, no paragraphs)
    size       file over MAX_FILE_BYTES, a "word" over MAX_INPUT_CHARS, or one input that
               cannot fit a job body of MAX_JOB_PAYLOAD_BYTES
    encoding   not UTF-8 / UTF-16 with BOM, or control characters (see shared.text_split)
    metadata   an unknown blob metadata key or a bad value; voice/rate/pitch/style on SSML;
               concatenate on with an output format speechdrop cannot join (Ogg, WebM, ...)
    ssml       malformed or hostile SSML, or SSML the service would refuse (see shared.ssml)
    voice      a voice name that is not an Azure voice name, or that the catalog does not know
    job        a JSON job document with a wrong, unknown or forbidden field (also a format
               that cannot be joined when the document itself asks for concatenation)

Kinds (by extension, case-insensitive):

* ``.txt``: paragraphs (hard-wrapped text is unwrapped, see `shared.text_split`), each
  split at sentence boundaries to at most MAX_INPUT_CHARS; one input per piece.
* ``.ssml`` / ``.xml``: one input per ``<speak>`` document (see `shared.ssml`). Metadata may
  set outputformat and the boundary/concatenate flags; voice, rate, pitch and style belong
  in the SSML.
* ``.json``: a job document ``{"inputKind", "inputs": [{"content"}], "synthesisConfig"?,
  "properties"?, "description"?}`` checked against an allowlist and rebuilt, never passed
  through. Precedence: a field set in the JSON wins over blob metadata, which wins over
  the app settings' defaults. URL-valued fields, ``destinationContainerUrl``,
  ``destinationPath``, ``decompressOutputFiles``, ``backgroundAudio`` and ``customVoices``
  are refused (speechdrop decides where results go). ``timeToLiveInHours`` may be set
  from 1 to SERVICE_TTL_HOURS. PlainText inputs are kept verbatim unless longer than
  MAX_INPUT_CHARS (then whitespace-normalised and split like text); SSML inputs must each
  be one ``<speak>`` document and are checked like an SSML file. For SSML, allowlisted
  synthesisConfig fields the JSON sets are kept as they are. The JSON's own description
  is validated and returned as `Document.description` (bodies get the pipeline's).

`Document.options` are the effective options; for SSML, `options.voice` is the first
voice of the first document (the speech itself uses the voices in the markup).

Billable characters: for text, the characters of the inputs; for SSML, the text content
without markup (a lower bound: Azure bills some markup too). Characters are code points.

Job packing: inputs are packed in order into jobs of at most MAX_INPUTS_PER_JOB inputs
whose body is at most MAX_JOB_PAYLOAD_BYTES. Sizes are measured with `json.dumps`
defaults (non-ASCII escaped as \\uXXXX, ", " separators) - the largest common encoding, so
a body fits however the client serialises it - with room kept for a description of up
to MAX_DESCRIPTION_CHARS characters. `properties.concatenateResult` is always false:
speechdrop concatenates itself so that timings stay exact; `options.concatenate` says
whether it should.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Protocol

from shared import text_split
from shared.audio import parse_format
from shared.config import Settings
from shared.errors import InputError
from shared.ssml import (
    ROLES,
    check_pitch,
    check_rate,
    check_style,
    check_voice,
    check_volume,
    parse_speak_documents,
)

__all__ = [
    "KNOWN_OUTPUT_FORMATS",
    "MAX_DESCRIPTION_CHARS",
    "SUPPORTED_EXTENSIONS",
    "Document",
    "JobRequest",
    "SynthesisInput",
    "SynthesisOptions",
    "VoiceCatalog",
    "kind_of",
    "build_document",
    "parse_options",
]

SUPPORTED_EXTENSIONS: Mapping[str, str] = {
    ".txt": "text",
    ".ssml": "ssml",
    ".xml": "ssml",
    ".json": "job",
}

#: Azure SpeechSynthesisOutputFormat names the batch API accepts (the siren formats the
#: service does not support are left out).
KNOWN_OUTPUT_FORMATS = frozenset(
    """
    amr-wb-16000hz g722-16khz-64kbps
    audio-16khz-32kbitrate-mono-mp3 audio-16khz-64kbitrate-mono-mp3
    audio-16khz-128kbitrate-mono-mp3 audio-24khz-48kbitrate-mono-mp3
    audio-24khz-96kbitrate-mono-mp3 audio-24khz-160kbitrate-mono-mp3
    audio-48khz-96kbitrate-mono-mp3 audio-48khz-192kbitrate-mono-mp3
    audio-16khz-16bit-32kbps-mono-opus audio-24khz-16bit-24kbps-mono-opus
    audio-24khz-16bit-48kbps-mono-opus
    ogg-16khz-16bit-mono-opus ogg-24khz-16bit-mono-opus ogg-48khz-16bit-mono-opus
    webm-16khz-16bit-mono-opus webm-24khz-16bit-mono-opus webm-24khz-16bit-24kbps-mono-opus
    raw-8khz-8bit-mono-alaw raw-8khz-8bit-mono-mulaw raw-8khz-16bit-mono-pcm
    raw-16khz-16bit-mono-pcm raw-16khz-16bit-mono-truesilk raw-22050hz-16bit-mono-pcm
    raw-24khz-16bit-mono-pcm raw-24khz-16bit-mono-truesilk raw-44100hz-16bit-mono-pcm
    raw-48khz-16bit-mono-pcm
    riff-8khz-8bit-mono-alaw riff-8khz-8bit-mono-mulaw riff-8khz-16bit-mono-pcm
    riff-16khz-16bit-mono-pcm riff-22050hz-16bit-mono-pcm riff-24khz-16bit-mono-pcm
    riff-44100hz-16bit-mono-pcm riff-48khz-16bit-mono-pcm
    """.split()
)

#: Descriptions passed to `JobRequest.body` are cut to this many characters.
MAX_DESCRIPTION_CHARS = 256
_DESCRIPTION_RESERVE = 12 * MAX_DESCRIPTION_CHARS  # worst case: astral characters, escaped


@dataclass(frozen=True)
class SynthesisOptions:
    """Per-file options, from blob metadata over app-setting defaults."""

    voice: str
    output_format: str
    rate: str | None = None
    pitch: str | None = None
    style: str | None = None
    word_boundary: bool = True
    sentence_boundary: bool = True
    concatenate: bool = True
    backend: str = "batch"  # the service API that voices the file: batch or longaudio


@dataclass(frozen=True)
class SynthesisInput:
    content: str  # plain text, or one whole <speak> document
    source: str  # where it came from: "paragraph 12 (line 40)", "speak document 3 (line 9)"
    characters: int  # billable characters


@dataclass(frozen=True)
class JobRequest:
    """One batch synthesis job's body, minus its id. Treat the mappings as read-only."""

    input_kind: str  # "PlainText" | "SSML"
    inputs: tuple[SynthesisInput, ...]
    synthesis_config: Mapping[str, object]
    properties: Mapping[str, object]
    first_input: int  # 0-based index of inputs[0] in the whole document

    def body(self, description: str) -> dict:
        """The JSON body for ``PUT /batchsyntheses/{id}``."""
        body: dict[str, object] = {
            "description": description[:MAX_DESCRIPTION_CHARS],
            "inputKind": self.input_kind,
            "inputs": [{"content": item.content} for item in self.inputs],
        }
        if self.synthesis_config:
            body["synthesisConfig"] = dict(self.synthesis_config)
        body["properties"] = dict(self.properties)
        return body


@dataclass(frozen=True)
class Document:
    kind: str  # "text" | "ssml" | "job"
    options: SynthesisOptions
    jobs: tuple[JobRequest, ...]
    input_count: int
    characters: int
    description: str | None = None  # a JSON job document's own description, if it had one


class VoiceCatalog(Protocol):
    def is_known(self, voice: str) -> bool | None:
        """True/False when the catalog knows; None when it cannot tell (do not reject)."""
        ...


# --- options ------------------------------------------------------------------------------

#: What a file may consist of and still have nothing to say: whitespace and invisible
#: format characters (zero-width space/joiners, word joiner, soft hyphen, ...).
_INVISIBLE = re.compile(r"[\s\u00ad\u180e\u200b-\u200f\u2060-\u2064\u206a-\u206f]+")

_BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _check_output_format(value: str, code: str, where: str) -> str:
    if value.lower() not in KNOWN_OUTPUT_FORMATS:
        raise InputError(
            code,
            f"{value[:60]!r} is not an Azure batch synthesis output format; use one of: "
            + ", ".join(sorted(KNOWN_OUTPUT_FORMATS))
            + ".",
            where,
        )
    return value.lower()


def _check_backend(value: str, code: str, where: str) -> str:
    if value.lower() not in ("batch", "longaudio"):
        raise InputError(code, f"{value[:40]!r} is not a backend: use batch or longaudio.", where)
    return value.lower()


_METADATA_VALUES = {
    "voice": ("voice", check_voice),
    "outputformat": ("output_format", _check_output_format),
    "rate": ("rate", check_rate),
    "pitch": ("pitch", check_pitch),
    "style": ("style", check_style),
    "backend": ("backend", _check_backend),
}
_METADATA_FLAGS = {
    "wordboundary": "word_boundary",
    "sentenceboundary": "sentence_boundary",
    "concatenate": "concatenate",
}
_METADATA_KEYS = (*_METADATA_VALUES, *_METADATA_FLAGS)
_SSML_ONLY_IN_MARKUP = ("voice", "rate", "pitch", "style")


def _metadata(metadata: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Lower-cased key -> (key as given, stripped value); duplicates are an error."""
    found: dict[str, tuple[str, str]] = {}
    for key, value in metadata.items():
        lower = key.lower()
        where = f"metadata key {key!r}"
        if lower in found:
            raise InputError("metadata", f"Metadata key {lower!r} is given twice.", where)
        if lower not in _METADATA_KEYS:
            raise InputError(
                "metadata",
                f"Unknown metadata key {key!r}; speechdrop reads: {', '.join(_METADATA_KEYS)}.",
                where,
            )
        found[lower] = (key, str(value).strip())
    return found


def parse_options(metadata: Mapping[str, str], settings: Settings) -> SynthesisOptions:
    """Options from blob metadata (keys compared lower-cased) over the settings' defaults."""
    values: dict[str, object] = {
        "voice": settings.default_voice,
        "output_format": settings.default_output_format.lower(),
        "backend": settings.synthesis_backend,
    }
    for lower, (key, value) in _metadata(metadata).items():
        where = f"metadata key {key!r}"
        if lower in _METADATA_FLAGS:
            if value.lower() not in _BOOLEANS:
                raise InputError(
                    "metadata",
                    f"Metadata {key}={value[:40]!r} is not a yes/no value: "
                    "use true/false, yes/no or 1/0.",
                    where,
                )
            values[_METADATA_FLAGS[lower]] = _BOOLEANS[value.lower()]
        else:
            field, check = _METADATA_VALUES[lower]
            if not value:
                raise InputError(
                    "metadata", f"Metadata {key} is empty: remove it or set a value.", where
                )
            values[field] = check(value, "metadata", where)
    return SynthesisOptions(**values)  # type: ignore[arg-type]


# --- building ---------------------------------------------------------------------------


def kind_of(name: str, kinds: Mapping[str, str] = SUPPORTED_EXTENSIONS, reader: str = "") -> str:
    """The kind of file a name says (by extension), or an InputError listing what is read."""
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if suffix not in kinds:
        raise InputError(
            "extension",
            f"Files named {suffix or '(no extension)'!r} are not read{reader}; "
            f"supported: {', '.join(kinds)}.",
            name,
        )
    return kinds[suffix]


def build_document(
    name: str,
    data: bytes,
    metadata: Mapping[str, str],
    settings: Settings,
    voices: VoiceCatalog | None = None,
) -> Document:
    """Validate a dropped file and turn it into job requests (see the module docstring)."""
    kind = kind_of(name)
    if len(data) > settings.max_file_bytes:
        raise InputError(
            "size",
            f"The file is {len(data)} bytes; the limit is {settings.max_file_bytes} bytes. "
            "Split it into smaller files.",
        )
    if not data:
        raise InputError("empty", "The file is empty.")
    text = text_split.decode(data)
    if not _INVISIBLE.sub("", text):
        raise InputError("empty", "The file holds only whitespace; add the text to speak.")
    checker = _VoiceChecker(voices)
    if kind == "text":
        options = parse_options(metadata, settings)
        checker.check(options.voice, _voice_source(metadata))
        inputs = _text_inputs(text, settings)
        jobs = _pack(
            "PlainText",
            inputs,
            _plain_config(options, {}),
            _properties(options, settings),
            settings,
        )
        return _document(kind, options, jobs)
    if kind == "ssml":
        options = _ssml_options(metadata, settings)
        documents = parse_speak_documents(text)
        inputs = []
        for number, doc in enumerate(documents, 1):
            for voice, line in doc.voices:
                checker.check(voice, f"speak document {number}, line {line}")
            inputs.append(
                SynthesisInput(
                    doc.content, f"speak document {number} (line {doc.line})", doc.characters
                )
            )
        options = replace(options, voice=documents[0].voices[0][0])
        jobs = _pack("SSML", inputs, {}, _properties(options, settings), settings)
        return _document(kind, options, jobs)
    return _build_job(text, metadata, settings, checker)


def _document(
    kind: str,
    options: SynthesisOptions,
    jobs: Sequence[JobRequest],
    description: str | None = None,
    *,
    json_fields: Mapping[str, object] | None = None,
) -> Document:
    _check_joinable(options, json_fields or {})
    return Document(
        kind=kind,
        options=options,
        jobs=tuple(jobs),
        input_count=sum(len(job.inputs) for job in jobs),
        characters=sum(item.characters for job in jobs for item in job.inputs),
        description=description,
    )


def _check_joinable(options: SynthesisOptions, json_fields: Mapping[str, object]) -> None:
    """speechdrop joins the audio itself: refuse concatenation of formats it cannot join."""
    if not options.concatenate or parse_format(options.output_format).joinable:
        return
    if "outputFormat" in json_fields or "concatenateResult" in json_fields:
        code = "job"
        where = (
            "properties.outputFormat"
            if "outputFormat" in json_fields
            else ("properties.concatenateResult")
        )
        switch = "set properties.concatenateResult to false"
    else:
        code, where, switch = (
            "metadata",
            "metadata key 'outputformat'",
            ("set the metadata key concatenate=false"),
        )
    raise InputError(
        code,
        f"speechdrop cannot join audio in {options.output_format}; choose a riff-, raw- or "
        f"mp3 output format, or {switch} to get one audio file per input.",
        where,
    )


def _voice_source(metadata: Mapping[str, str]) -> str:
    for key in metadata:
        if key.lower() == "voice":
            return f"metadata key {key!r}"
    return "setting DEFAULT_VOICE"


def _ssml_options(metadata: Mapping[str, str], settings: Settings) -> SynthesisOptions:
    for lower, (key, _) in _metadata(metadata).items():
        if lower in _SSML_ONLY_IN_MARKUP:
            raise InputError(
                "metadata",
                f"Metadata {key} does not apply to SSML: set it in the SSML instead "
                "(<voice name=...>, <prosody rate/pitch>, <mstts:express-as style>).",
                f"metadata key {key!r}",
            )
    return parse_options(metadata, settings)


class _VoiceChecker:
    """Checks voice names (format, then the catalog), asking the catalog once per name."""

    def __init__(self, catalog: VoiceCatalog | None) -> None:
        self.catalog = catalog
        self.known: dict[str, bool | None] = {}

    def check(self, voice: str, where: str) -> None:
        check_voice(voice, "voice", where)
        if self.catalog is None:
            return
        if voice not in self.known:
            self.known[voice] = self.catalog.is_known(voice)
        if self.known[voice] is False:
            raise InputError(
                "voice",
                f"The voice {voice!r} is not available on this Speech resource; "
                "pick one from the voice list of its region.",
                where,
            )


def _text_inputs(text: str, settings: Settings) -> list[SynthesisInput]:
    inputs: list[SynthesisInput] = []
    for number, paragraph in enumerate(text_split.paragraphs(text), 1):
        inputs.extend(
            _pieces(paragraph.text, f"paragraph {number} (line {paragraph.line})", settings)
        )
    if not inputs:
        raise InputError("empty", "The file has no text to speak.")
    return inputs


def _pieces(text: str, source: str, settings: Settings) -> list[SynthesisInput]:
    pieces = text_split.split_paragraph(text, settings.max_input_chars, source)
    if len(pieces) == 1:
        return [SynthesisInput(text, source, len(text))]
    count = len(pieces)
    return [
        SynthesisInput(piece, f"{source}, part {k} of {count}", len(piece))
        for k, piece in enumerate(pieces, 1)
    ]


def _plain_config(options: SynthesisOptions, extra: Mapping[str, object]) -> dict[str, object]:
    config: dict[str, object] = {"voice": options.voice}
    for field in ("style", "rate", "pitch"):
        if getattr(options, field) is not None:
            config[field] = getattr(options, field)
    config.update(extra)
    return config


def _properties(
    options: SynthesisOptions, settings: Settings, ttl: int | None = None
) -> dict[str, object]:
    return {
        "outputFormat": options.output_format,
        "wordBoundaryEnabled": options.word_boundary,
        "sentenceBoundaryEnabled": options.sentence_boundary,
        "concatenateResult": False,
        "timeToLiveInHours": ttl if ttl is not None else settings.service_ttl_hours,
    }


def _pack(
    kind: str,
    inputs: Sequence[SynthesisInput],
    config: Mapping[str, object],
    properties: Mapping[str, object],
    settings: Settings,
) -> list[JobRequest]:
    """Inputs in order into jobs within the input-count and payload limits."""
    empty = JobRequest(kind, (), config, properties, 0)
    base = len(json.dumps(empty.body(""))) + _DESCRIPTION_RESERVE
    budget = settings.max_job_payload_bytes
    jobs: list[JobRequest] = []
    batch: list[SynthesisInput] = []
    size, first = base, 0
    for index, item in enumerate(inputs):
        item_size = len(json.dumps({"content": item.content}))
        if base + item_size > budget:
            raise InputError(
                "size",
                f"This input needs {item_size} bytes in a job request, which may hold "
                f"{budget - base} bytes of inputs; make it shorter.",
                item.source,
            )
        extra = item_size + (2 if batch else 0)
        if batch and (len(batch) >= settings.max_inputs_per_job or size + extra > budget):
            jobs.append(JobRequest(kind, tuple(batch), config, properties, first))
            batch, size, first, extra = [], base, index, item_size
        batch.append(item)
        size += extra
    jobs.append(JobRequest(kind, tuple(batch), config, properties, first))
    return jobs


# --- JSON job documents -----------------------------------------------------------------

_JOB_FIELDS = ("inputKind", "inputs", "synthesisConfig", "properties", "description")
_CONFIG_FIELDS = ("voice", "style", "rate", "pitch", "volume", "role", "styleDegree")
_PROPERTY_FIELDS = (
    "outputFormat",
    "wordBoundaryEnabled",
    "sentenceBoundaryEnabled",
    "concatenateResult",
    "timeToLiveInHours",
)
_DESTINATION_FIELDS = frozenset(
    {"destinationcontainerurl", "destinationpath", "decompressoutputfiles", "backgroundaudio",
     "customvoices"}
)  # fmt: skip
_URL = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://|^\s*(?:www\.|//)")
_FLAG_FIELDS = {
    "wordBoundaryEnabled": "word_boundary",
    "sentenceBoundaryEnabled": "sentence_boundary",
    "concatenateResult": "concatenate",
}
_CONFIG_CHECKS = {
    "voice": check_voice,
    "style": check_style,
    "rate": check_rate,
    "pitch": check_pitch,
    "volume": check_volume,
}


class _DuplicateKey(Exception):
    pass


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _load_job(text: str) -> object:
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(
            "job",
            f"The job document is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}.",
            f"line {exc.lineno}, column {exc.colno}",
        ) from None
    except _DuplicateKey as exc:
        raise InputError("job", f"The key {exc.args[0]!r} appears twice in one object.") from None
    except RecursionError:
        raise InputError(
            "job", "The job document is nested too deeply: use the flat shape shown in README."
        ) from None
    except ValueError as exc:  # NaN/Infinity, integers too long to convert
        if "integer string conversion" in str(exc):
            raise InputError(
                "job", "The job document has a number with thousands of digits; remove it."
            ) from None
        raise InputError("job", f"The job document has an invalid value: {exc}.") from None


def _refuse_destinations(document: object) -> None:
    """Any destination-like field or URL-valued string (outside input contents) is refused."""
    stack: list[tuple[str, object]] = [("", document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                lower = str(key).lower()
                if lower in _DESTINATION_FIELDS or lower.endswith(("url", "uri")):
                    raise InputError(
                        "job",
                        f"{child} is not allowed: speechdrop decides where results go.",
                        child,
                    )
                if not (path.startswith("inputs[") and key == "content"):
                    stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, str) and _URL.match(value):
            raise InputError(
                "job",
                f"{path} holds a URL, which is not allowed: speechdrop decides where results go "
                "and fetches nothing.",
                path,
            )


def _fields(value: object, path: str, allowed: Sequence[str]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise InputError(
            "job", f"{path or 'The job document'} must be a JSON object.", path or None
        )
    for key in value:
        if key not in allowed:
            name = f"{path}.{key}" if path else key
            raise InputError(
                "job",
                f"{name} is not a field speechdrop accepts; allowed: {', '.join(allowed)}.",
                name,
            )
    return value


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise InputError("job", f"{path} must be a string.", path)
    bad = text_split.BAD_CHARACTERS.search(value)
    if bad:
        raise InputError(
            "job", f"{path} contains the control character U+{ord(bad.group()):04X}.", path
        )
    return value


def _build_job(
    text: str, metadata: Mapping[str, str], settings: Settings, checker: _VoiceChecker
) -> Document:
    raw = _load_job(text)
    _refuse_destinations(raw)
    job = _fields(raw, "", _JOB_FIELDS)
    kind = job.get("inputKind")
    if kind not in ("PlainText", "SSML"):
        raise InputError("job", 'inputKind must be "PlainText" or "SSML".', "inputKind")
    config = _fields(job.get("synthesisConfig", {}), "synthesisConfig", _CONFIG_FIELDS)
    props = _fields(job.get("properties", {}), "properties", _PROPERTY_FIELDS)
    description = None
    if "description" in job:
        description = _string(job["description"], "description")
        if len(description) > MAX_DESCRIPTION_CHARS:
            raise InputError(
                "job",
                f"description is longer than {MAX_DESCRIPTION_CHARS} characters.",
                "description",
            )

    options = (
        _ssml_options(metadata, settings) if kind == "SSML" else parse_options(metadata, settings)
    )
    checked: dict[str, object] = {}
    for field, value in config.items():
        path = f"synthesisConfig.{field}"
        if field == "styleDegree":
            checked[field] = _style_degree(value, path)
        elif field == "role":
            if value not in ROLES:
                raise InputError("job", f"{path} must be one of: {', '.join(ROLES)}.", path)
            checked[field] = value
        else:
            checked[field] = _CONFIG_CHECKS[field](_string(value, path), "job", path)
    voice_where = "synthesisConfig.voice" if "voice" in config else _voice_source(metadata)
    if "voice" in checked:
        checker.check(str(checked["voice"]), voice_where)
    options = replace(
        options, **{f: checked[f] for f in ("voice", "style", "rate", "pitch") if f in checked}
    )

    ttl = None
    for field, value in props.items():
        path = f"properties.{field}"
        if field in _FLAG_FIELDS:
            if not isinstance(value, bool):
                raise InputError("job", f"{path} must be true or false.", path)
            options = replace(options, **{_FLAG_FIELDS[field]: value})
        elif field == "outputFormat":
            fmt = _check_output_format(_string(value, path), "job", path)
            options = replace(options, output_format=fmt)
        else:
            limit = settings.service_ttl_hours
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
                raise InputError("job", f"{path} must be a whole number from 1 to {limit}.", path)
            ttl = value

    inputs = _job_inputs(job.get("inputs"), kind, settings, checker)
    if kind == "PlainText":
        checker.check(options.voice, voice_where)
        synthesis_config = _plain_config(
            options, {k: v for k, v in checked.items() if k in ("volume", "role", "styleDegree")}
        )
    else:
        synthesis_config = checked
        options = replace(options, voice=_first_voice(inputs[0].content))
    jobs = _pack(str(kind), inputs, synthesis_config, _properties(options, settings, ttl), settings)
    return _document("job", options, jobs, description, json_fields=props)


def _style_degree(value: object, path: str) -> object:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not 0.01 <= number <= 2:
        raise InputError("job", f"{path} must be a number from 0.01 to 2.", path)
    return value


def _job_inputs(
    value: object, kind: object, settings: Settings, checker: _VoiceChecker
) -> list[SynthesisInput]:
    if not isinstance(value, list) or not value:
        raise InputError(
            "job", 'inputs must be a non-empty list of {"content": "..."} objects.', "inputs"
        )
    inputs: list[SynthesisInput] = []
    for index, item in enumerate(value):
        path = f"inputs[{index}]"
        content = _string(_fields(item, path, ("content",)).get("content"), f"{path}.content")
        if not content.strip():
            raise InputError("job", f"{path}.content is empty.", f"{path}.content")
        if kind == "SSML":
            (doc,) = parse_speak_documents(content, origin=f"{path}, ", single=True)
            for voice, line in doc.voices:
                checker.check(voice, f"{path}, line {line}")
            inputs.append(SynthesisInput(content, path, doc.characters))
        elif len(content) <= settings.max_input_chars:
            inputs.append(SynthesisInput(content, path, len(content)))
        else:
            inputs.extend(_pieces(text_split.normalise_whitespace(content), path, settings))
    return inputs


def _first_voice(content: str) -> str:
    return parse_speak_documents(content, single=True)[0].voices[0][0]
