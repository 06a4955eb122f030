"""build_document and parse_options: kinds, limits, metadata, voices and job packing."""

from __future__ import annotations

import codecs
import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.config import Settings, StorageConnection
from shared.documents import (
    KNOWN_OUTPUT_FORMATS,
    MAX_DESCRIPTION_CHARS,
    SUPPORTED_EXTENSIONS,
    SynthesisOptions,
    build_document,
    parse_options,
)
from shared.errors import InputError

SETTINGS = Settings(storage=StorageConnection(connection_string="x"), speech_endpoint="http://x")


class Catalog:
    def __init__(self, answer: bool | None) -> None:
        self.answer = answer

    def is_known(self, voice: str) -> bool | None:
        return self.answer


def test_public_constants() -> None:
    assert set(SUPPORTED_EXTENSIONS) == {".txt", ".ssml", ".xml", ".json"}
    assert SETTINGS.default_output_format in KNOWN_OUTPUT_FORMATS
    assert {"riff-24khz-16bit-mono-pcm", "ogg-48khz-16bit-mono-opus"} <= KNOWN_OUTPUT_FORMATS


def test_text_document() -> None:
    document = build_document("Book.TXT", b"Hello there.\nGeneral Kenobi.\n", {}, SETTINGS)
    assert document.kind == "text"
    assert document.input_count == 2
    assert document.characters == len("Hello there.") + len("General Kenobi.")
    (job,) = document.jobs
    assert job.first_input == 0
    assert job.input_kind == "PlainText"
    assert job.synthesis_config == {"voice": SETTINGS.default_voice}
    assert job.properties == {
        "outputFormat": SETTINGS.default_output_format,
        "wordBoundaryEnabled": True,
        "sentenceBoundaryEnabled": True,
        "concatenateResult": False,
        "timeToLiveInHours": SETTINGS.service_ttl_hours,
    }
    body = job.body("speechdrop: Book.TXT")
    assert body == {
        "description": "speechdrop: Book.TXT",
        "inputKind": "PlainText",
        "inputs": [{"content": "Hello there."}, {"content": "General Kenobi."}],
        "synthesisConfig": {"voice": SETTINGS.default_voice},
        "properties": dict(job.properties),
    }
    assert len(job.body("x" * 1000)["description"]) == MAX_DESCRIPTION_CHARS


def test_text_options_from_metadata() -> None:
    metadata = {"Voice": "en-GB-SoniaNeural", "rate": "-5%", "Pitch": "+2st", "style": "cheerful",
                "Concatenate": "0"}  # fmt: skip
    document = build_document("a.txt", b"Hi.", metadata, SETTINGS)
    assert document.options.concatenate is False
    assert document.jobs[0].synthesis_config == {
        "voice": "en-GB-SoniaNeural",
        "style": "cheerful",
        "rate": "-5%",
        "pitch": "+2st",
    }


def test_long_paragraph_is_split_into_parts() -> None:
    text = ("This is one sentence of a long paragraph. " * 200).encode()
    document = build_document("a.txt", text, {}, SETTINGS)
    inputs = [i for job in document.jobs for i in job.inputs]
    assert len(inputs) == 3
    assert inputs[0].source == "paragraph 1 (line 1), part 1 of 3"
    assert all(len(i.content) <= SETTINGS.max_input_chars for i in inputs)


BAD_FILES = [
    ("extension", "notes.docx", b"hello", "extension", "supported: .txt, .ssml, .xml, .json"),
    ("no-extension", "README", b"hello", "extension", "supported:"),
    ("empty", "a.txt", b"", "empty", "empty"),
    ("whitespace", "a.txt", b" \n\t\r\n ", "empty", "whitespace"),
    ("bom-only", "a.txt", codecs.BOM_UTF8, "empty", ""),
    ("utf16-whitespace", "a.ssml", codecs.BOM_UTF16_LE + " \n".encode("utf-16-le"), "empty", ""),
    ("only-nbsp", "a.txt", "\u00a0\n".encode(), "empty", "whitespace"),
    (
        "too-big",
        "a.txt",
        b"x" * (SETTINGS.max_file_bytes + 1),
        "size",
        str(SETTINGS.max_file_bytes),
    ),
    ("binary", "a.txt", bytes(range(256)), "encoding", "byte"),
    ("long-word", "a.txt", b"ok\n" + b"x" * 3001, "size", "3000"),
]


@pytest.mark.parametrize(
    ("label", "name", "data", "code", "message"), BAD_FILES, ids=[c[0] for c in BAD_FILES]
)
def test_bad_files(label: str, name: str, data: bytes, code: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        build_document(name, data, {}, SETTINGS)
    assert caught.value.code == code
    assert message in caught.value.message


def test_long_word_error_says_where() -> None:
    with pytest.raises(InputError) as caught:
        build_document("a.txt", b"ok\n" + b"x" * 3001, {}, SETTINGS)
    assert caught.value.where == "paragraph 2 (line 2)"


# --- metadata ---------------------------------------------------------------------------


def test_parse_options_defaults_and_values() -> None:
    assert parse_options({}, SETTINGS) == SynthesisOptions(
        voice=SETTINGS.default_voice, output_format=SETTINGS.default_output_format
    )
    metadata = {
        "OUTPUTFORMAT": "Riff-48khz-16bit-mono-pcm",
        "wordboundary": "No",
        "SentenceBoundary": "yes",
        "concatenate": "FALSE",
        "rate": "1.2",
        "pitch": "high",
        "voice": "de-DE-Seraphina:DragonHDLatestNeural",
    }
    options = parse_options(metadata, SETTINGS)
    assert options == SynthesisOptions(
        voice="de-DE-Seraphina:DragonHDLatestNeural",
        output_format="riff-48khz-16bit-mono-pcm",
        rate="1.2",
        pitch="high",
        word_boundary=False,
        sentence_boundary=True,
        concatenate=False,
    )


GOOD_VOICES = [
    "en-US-AvaMultilingualNeural",
    "zh-CN-sichuan-YunxiNeural",
    "sr-Latn-RS-NicholasNeural",
    "en-US-Ava:DragonHDLatestNeural",
    "wuu-CN-XiaotongNeural",
    "Microsoft Server Speech Text to Speech Voice (en-US, JennyNeural)",
]


@pytest.mark.parametrize("voice", GOOD_VOICES)
def test_plausible_voice_names(voice: str) -> None:
    assert parse_options({"voice": voice}, SETTINGS).voice == voice


BAD_METADATA = [
    ("unknown-key", {"speed": "fast"}, "speed", "speechdrop reads: voice, outputformat"),
    ("duplicate", {"Voice": "en-US-AvaNeural", "voice": "en-US-AvaNeural"}, "voice", "twice"),
    ("bool", {"wordboundary": "maybe"}, "wordboundary", "true/false, yes/no or 1/0"),
    ("voice", {"voice": "Jenny"}, "voice", "not an Azure voice name"),
    ("voice-injection", {"voice": 'en-US-AvaNeural"><audio src="x'}, "voice", "voice name"),
    ("format", {"outputformat": "mp3"}, "outputformat", "riff-24khz-16bit-mono-pcm"),
    ("rate-range", {"rate": "+300%"}, "rate", "-50% to +100%"),
    ("rate-multiplier", {"rate": "3"}, "rate", "0.5 to 2"),
    ("rate-word", {"rate": "zippy"}, "rate", "x-slow"),
    ("pitch", {"pitch": "+2 semitones"}, "pitch", "+2st"),
    ("style", {"style": "very cheerful!"}, "style", "style name"),
    ("empty-value", {"style": "  "}, "style", "empty"),
]


@pytest.mark.parametrize(
    ("label", "metadata", "key", "message"), BAD_METADATA, ids=[c[0] for c in BAD_METADATA]
)
def test_bad_metadata(label: str, metadata: dict[str, str], key: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        build_document("a.txt", b"Hello.", metadata, SETTINGS)
    assert caught.value.code == "metadata"
    assert message in caught.value.message
    assert caught.value.where is not None and caught.value.where.lower() == f"metadata key '{key}'"


# --- voices -----------------------------------------------------------------------------


def test_unknown_text_voice_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        build_document("a.txt", b"Hi.", {"voice": "en-US-GoneNeural"}, SETTINGS, Catalog(False))
    assert caught.value.code == "voice"
    assert "en-US-GoneNeural" in caught.value.message
    assert caught.value.where == "metadata key 'voice'"


def test_default_voice_is_checked_too() -> None:
    with pytest.raises(InputError) as caught:
        build_document("a.txt", b"Hi.", {}, SETTINGS, Catalog(False))
    assert caught.value.where == "setting DEFAULT_VOICE"


@pytest.mark.parametrize("answer", [True, None])
def test_known_or_unknowable_voice_passes(answer: bool | None) -> None:
    assert build_document("a.txt", b"Hi.", {}, SETTINGS, Catalog(answer)).input_count == 1


# --- job packing ------------------------------------------------------------------------


def test_packing_respects_input_count() -> None:
    small = replace(SETTINGS, max_inputs_per_job=3)
    text = "\n".join(f"Line {n}." for n in range(10)).encode()
    document = build_document("a.txt", text, {}, small)
    assert [len(j.inputs) for j in document.jobs] == [3, 3, 3, 1]
    assert [j.first_input for j in document.jobs] == [0, 3, 6, 9]
    assert document.input_count == 10


@settings(max_examples=40, deadline=None)
@given(
    paragraphs=st.lists(
        st.text(alphabet=st.sampled_from(list("ab .,é字😀")), min_size=1, max_size=300),
        min_size=1,
        max_size=60,
    ),
    payload=st.integers(min_value=5000, max_value=12000),
    per_job=st.integers(min_value=1, max_value=20),
)
def test_packing_property(paragraphs: list[str], payload: int, per_job: int) -> None:
    limits = replace(SETTINGS, max_job_payload_bytes=payload, max_inputs_per_job=per_job,
                     max_input_chars=100)  # fmt: skip
    data = "\n".join(paragraphs).encode()
    try:
        document = build_document("a.txt", data, {}, limits)
    except InputError as error:
        assert error.code in ("empty", "size")
        return
    expected = 0
    for job in document.jobs:
        assert 1 <= len(job.inputs) <= per_job
        assert job.first_input == expected
        expected += len(job.inputs)
        body = job.body("\U0001f600" * 1000)
        for encoded in (
            json.dumps(body).encode(),
            json.dumps(body, ensure_ascii=False).encode(),
            json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(),
        ):
            assert len(encoded) <= payload
    assert expected == document.input_count


def test_input_too_big_for_a_job() -> None:
    limits = replace(SETTINGS, max_job_payload_bytes=5000, max_input_chars=5000)
    with pytest.raises(InputError) as caught:
        build_document("a.txt", b"short\n" + b"word " * 900, {}, limits)
    assert caught.value.code == "size"
    assert caught.value.where == "paragraph 2 (line 2)"


def test_large_text_file() -> None:
    paragraph = "It was the best of times, it was the worst of times. " * 40
    data = ("\n\n".join([paragraph] * 1000)).encode()  # about 2 MB
    document = build_document("big.txt", data, {}, SETTINGS)
    pieces = [i.content for job in document.jobs for i in job.inputs]
    assert " ".join(pieces) == " ".join(data.decode().split())
    assert all(len(p) <= SETTINGS.max_input_chars for p in pieces)
    assert len(document.jobs) >= 2  # 2 MB of text does not fit one 2 MB payload
