"""JSON job documents: allowlisted, validated and rebuilt, never passed through."""

from __future__ import annotations

import json

import pytest

from shared.config import Settings, StorageConnection
from shared.documents import build_document
from shared.errors import InputError

SETTINGS = Settings(storage=StorageConnection(connection_string="x"), speech_endpoint="http://x")
SPEAK = (
    '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
    '<voice name="en-US-AndrewNeural">Hi there</voice></speak>'
)


def job(**overrides: object) -> dict:
    document: dict = {
        "inputKind": "PlainText",
        "inputs": [{"content": "Hello."}, {"content": "World."}],
    }
    document.update(overrides)
    return document


def build(document: object, metadata: dict[str, str] | None = None, raw: bytes | None = None):
    data = raw if raw is not None else json.dumps(document).encode()
    return build_document("job.json", data, metadata or {}, SETTINGS)


def test_plain_text_job_with_precedence() -> None:
    document = build(
        job(
            synthesisConfig={
                "voice": "en-US-JennyNeural",
                "volume": "+20%",
                "styleDegree": 1.5,
                "role": "Girl",
            },
            properties={
                "outputFormat": "RIFF-24KHZ-16BIT-MONO-PCM",
                "concatenateResult": False,
                "timeToLiveInHours": 12,
                "wordBoundaryEnabled": False,
            },
            description="my job",
        ),  # fmt: skip
        {"voice": "en-US-AvaNeural", "rate": "+10%", "sentenceboundary": "no"},
    )
    (request,) = document.jobs
    # JSON wins over metadata, metadata over settings.
    assert request.synthesis_config == {
        "voice": "en-US-JennyNeural",
        "rate": "+10%",
        "volume": "+20%",
        "role": "Girl",
        "styleDegree": 1.5,
    }
    assert request.properties == {
        "outputFormat": "riff-24khz-16bit-mono-pcm",
        "wordBoundaryEnabled": False,
        "sentenceBoundaryEnabled": False,
        "concatenateResult": False,
        "timeToLiveInHours": 12,
    }
    assert document.options.concatenate is False
    assert document.options.voice == "en-US-JennyNeural"
    assert document.description == "my job"
    assert [i.source for i in request.inputs] == ["inputs[0]", "inputs[1]"]
    assert document.kind == "job"


def test_plain_text_inputs_are_kept_verbatim_unless_too_long() -> None:
    long = ("A sentence of some length.  " * 200).strip()
    document = build(job(inputs=[{"content": "  keep   me  "}, {"content": long}]))
    inputs = [i for j in document.jobs for i in j.inputs]
    assert inputs[0].content == "  keep   me  "
    assert len(inputs) > 2
    assert all(len(i.content) <= SETTINGS.max_input_chars for i in inputs)
    assert inputs[1].source.startswith("inputs[1], part 1 of")
    assert " ".join(i.content for i in inputs[1:]) == " ".join(long.split())


def test_ssml_job() -> None:
    metadata = {"outputformat": "ogg-24khz-16bit-mono-opus", "concatenate": "false"}
    document = build(
        job(inputKind="SSML", inputs=[{"content": SPEAK}], synthesisConfig={}), metadata
    )
    (request,) = document.jobs
    assert request.input_kind == "SSML"
    assert request.inputs[0].content == SPEAK
    assert request.inputs[0].characters == len("Hi there")
    assert request.synthesis_config == {}
    assert request.properties["outputFormat"] == "ogg-24khz-16bit-mono-opus"
    assert document.options.voice == "en-US-AndrewNeural"


BAD_JOBS = [
    ("not-json", None, b'{"inputKind": "PlainText",\n "inputs": [}', "not valid JSON", "line 2"),
    ("not-object", [1, 2], None, "must be a JSON object", None),
    ("duplicate-key", None, b'{"inputKind": "SSML", "inputKind": "PlainText", "inputs": []}',
     "appears twice", None),
    ("nan", None, b'{"inputKind": "PlainText", "inputs": [{"content": "x"}], "x": NaN}',
     "invalid value", None),
    ("deep", None, b"[" * 100_000 + b"]" * 100_000, "nested too deeply", None),
    ("unknown-top", job(status="Succeeded"), None, "not a field", "status"),
    ("id", job(id="mine"), None, "not a field", "id"),
    ("bad-kind", job(inputKind="Text"), None, "inputKind must be", "inputKind"),
    ("no-inputs", job(inputs=[]), None, "non-empty list", "inputs"),
    ("inputs-not-list", job(inputs="hello"), None, "non-empty list", "inputs"),
    ("input-not-object", job(inputs=["hello"]), None, "must be a JSON object", "inputs[0]"),
    ("input-extra-field", job(inputs=[{"content": "a", "voice": "x"}]), None, "not a field",
     "inputs[0].voice"),
    ("content-not-string", job(inputs=[{"content": 5}]), None, "must be a string",
     "inputs[0].content"),
    ("content-empty", job(inputs=[{"content": "  "}]), None, "is empty", "inputs[0].content"),
    ("content-control", job(inputs=[{"content": "a\u0000b"}]), None, "U+0000",
     "inputs[0].content"),
    ("content-lone-surrogate", None,
     b'{"inputKind": "PlainText", "inputs": [{"content": "\\ud800"}]}', "U+D800",
     "inputs[0].content"),
    ("config-unknown", job(synthesisConfig={"voice": "en-US-AvaNeural", "speakerProfileId": "x"}),
     None, "not a field", "synthesisConfig.speakerProfileId"),
    ("config-voice-type", job(synthesisConfig={"voice": 3}), None, "must be a string",
     "synthesisConfig.voice"),
    ("config-voice-name", job(synthesisConfig={"voice": "Jenny"}), None, "not an Azure voice",
     "synthesisConfig.voice"),
    ("config-rate", job(synthesisConfig={"rate": "+500%"}), None, "speaking rate",
     "synthesisConfig.rate"),
    ("config-volume", job(synthesisConfig={"volume": "loudest"}), None, "not a volume",
     "synthesisConfig.volume"),
    ("config-role", job(synthesisConfig={"role": "Wizard"}), None, "must be one of",
     "synthesisConfig.role"),
    ("config-style-degree", job(synthesisConfig={"styleDegree": 5}), None, "0.01 to 2",
     "synthesisConfig.styleDegree"),
    ("config-style-degree-bool", job(synthesisConfig={"styleDegree": True}), None, "0.01 to 2",
     "synthesisConfig.styleDegree"),
    ("config-not-object", job(synthesisConfig="en-US-AvaNeural"), None, "must be a JSON object",
     "synthesisConfig"),
    ("properties-format", job(properties={"outputFormat": "mp3"}), None, "output format",
     "properties.outputFormat"),
    ("properties-format-type", job(properties={"outputFormat": 1}), None, "must be a string",
     "properties.outputFormat"),
    ("properties-flag-type", job(properties={"wordBoundaryEnabled": "yes"}), None,
     "true or false", "properties.wordBoundaryEnabled"),
    ("properties-ttl-high", job(properties={"timeToLiveInHours": 744}), None, "from 1 to 48",
     "properties.timeToLiveInHours"),
    ("properties-ttl-type", job(properties={"timeToLiveInHours": "12"}), None, "whole number",
     "properties.timeToLiveInHours"),
    ("properties-unknown", job(properties={"sizeInBytes": 1}), None, "not a field",
     "properties.sizeInBytes"),
    ("description-type", job(description=["x"]), None, "must be a string", "description"),
    ("description-long", job(description="x" * 300), None, "longer than", "description"),
    ("ssml-input-not-ssml", job(inputKind="SSML", inputs=[{"content": "plain words"}]), None,
     "outside", "inputs[0], line 1"),
    ("ssml-input-two-docs", job(inputKind="SSML", inputs=[{"content": SPEAK + "\n" + SPEAK}]),
     None, "exactly one", "inputs[0], line 2"),
    ("ssml-input-dtd", job(inputKind="SSML", inputs=[{"content": "<!DOCTYPE x>" + SPEAK}]), None,
     "DTDs and entities", "inputs[0], line 1"),
]  # fmt: skip

DESTINATIONS = [
    ("destination-url", job(properties={"destinationContainerUrl": "https://a.blob/c?sas"}),
     "properties.destinationContainerUrl"),
    ("destination-path", job(properties={"destinationPath": "x/y"}), "properties.destinationPath"),
    ("decompress", job(properties={"decompressOutputFiles": True}),
     "properties.decompressOutputFiles"),
    ("background-audio", job(synthesisConfig={"backgroundAudio": {"src": "https://x/a.wav"}}),
     "synthesisConfig.backgroundAudio"),
    ("custom-voices", job(customVoices={"v": "deployment"}), "customVoices"),
    ("url-value", job(synthesisConfig={"style": "https://evil.example/x"}),
     "synthesisConfig.style"),
    ("url-key", job(callbackUrl="ftp://x"), "callbackUrl"),
    ("url-description", job(description="http://example.com"), "description"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "document", "raw", "message", "where"), BAD_JOBS, ids=[c[0] for c in BAD_JOBS]
)
def test_bad_job_documents(
    label: str, document: object, raw: bytes | None, message: str, where: str | None
) -> None:
    with pytest.raises(InputError) as caught:
        build(document, raw=raw)
    assert caught.value.code in ("job", "ssml")
    assert message in caught.value.message
    if where is None:
        assert caught.value.where is None
    else:
        assert caught.value.where is not None and caught.value.where.startswith(where)


@pytest.mark.parametrize(
    ("label", "document", "where"), DESTINATIONS, ids=[c[0] for c in DESTINATIONS]
)
def test_destinations_and_urls_are_refused(label: str, document: object, where: str) -> None:
    with pytest.raises(InputError) as caught:
        build(document)
    assert caught.value.code == "job"
    assert "speechdrop decides where results go" in caught.value.message
    assert caught.value.where == where


def test_urls_in_plain_text_content_are_fine() -> None:
    document = build(job(inputs=[{"content": "See https://example.com for more."}]))
    assert document.input_count == 1


def test_ssml_job_refuses_voice_metadata() -> None:
    with pytest.raises(InputError) as caught:
        build(job(inputKind="SSML", inputs=[{"content": SPEAK}]), {"voice": "en-US-AvaNeural"})
    assert caught.value.code == "metadata"
    assert "set it in the SSML instead" in caught.value.message


def test_json_voice_checked_against_catalog() -> None:
    class Catalog:
        def is_known(self, voice: str) -> bool | None:
            return voice != "en-US-GoneNeural"

    with pytest.raises(InputError) as caught:
        build_document(
            "j.json",
            json.dumps(job(synthesisConfig={"voice": "en-US-GoneNeural"})).encode(),
            {},
            SETTINGS,
            Catalog(),
        )
    assert caught.value.code == "voice"
    assert caught.value.where == "synthesisConfig.voice"
