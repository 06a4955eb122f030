"""Pure unit tests of the emulator's modules (no server)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from emulator import audio, ssml
from emulator.errors import ApiError
from emulator.faults import Faults, parse_fault_spec
from emulator.ratelimit import RateLimiter
from emulator.signing import Signer
from emulator.validation import validate_create
from emulator.voices import find_voice, voice_list

# G.711 reference values (ITU-T G.711 tables; same as CPython's audioop)
MULAW = {0: 0xFF, -1: 0x7E, 1000: 0xCE, -1000: 0x4E, 32767: 0x80, -32768: 0x00}
ALAW = {0: 0xD5, -1: 0x55, 1000: 0xFA, -1000: 0x7A, 32767: 0xAA, -32768: 0x2A}


@pytest.mark.parametrize(("value", "code"), MULAW.items())
def test_mulaw_encode_matches_reference(value, code):
    assert audio.mulaw_encode(np.array([value], dtype=np.int16)) == bytes([code])


@pytest.mark.parametrize(("value", "code"), ALAW.items())
def test_alaw_encode_matches_reference(value, code):
    assert audio.alaw_encode(np.array([value], dtype=np.int16)) == bytes([code])


def test_g711_round_trip_is_close():
    x = np.arange(-32768, 32768, 13, dtype=np.int32).astype(np.int16)
    for enc, dec in (
        (audio.mulaw_encode, audio.mulaw_decode),
        (audio.alaw_encode, audio.alaw_decode),
    ):
        y = dec(enc(x)).astype(np.int32)
        big = np.abs(x.astype(np.int32)) > 512
        assert np.max(np.abs(y[big] - x[big]) / np.abs(x[big])) < 0.07


def test_riff_alaw_header():
    data = audio.encode(
        np.zeros(2205, dtype=np.int16), 22050, audio.lookup("riff-8khz-8bit-mono-alaw")
    )
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    tag, channels, rate = struct.unpack("<HHI", data[20:28])
    assert (tag, channels, rate) == (6, 1, 8000)
    assert b"fact" in data and b"data" in data


def test_formats_and_lookup():
    assert audio.lookup("RIFF-24KHZ-16BIT-MONO-PCM").rate == 24000
    assert audio.lookup("audio-24khz-160kbitrate-mono-mp3").kbps == 160
    assert audio.lookup("ogg-24khz-16bit-mono-opus") is None
    assert "ogg-24khz-16bit-mono-opus" in audio.UNSUPPORTED
    assert audio.lookup("raw-8khz-8bit-mono-mulaw").extension == "raw"


def test_prosody_values():
    assert ssml.rate_factor("+50%") == 1.5
    assert ssml.rate_factor("x-slow") == 0.5
    assert ssml.rate_factor("9") == 2.0
    assert ssml.pitch_factor("+12st") == 2.0
    assert ssml.volume_factor("50") == 0.5
    assert ssml.volume_factor("nonsense") == 1.0


def test_ssml_pieces_switch_voices_and_breaks():
    doc = (
        '<speak version="1.0" xml:lang="en-US"><voice name="en-US-JennyNeural">Hi '
        '<prosody rate="fast">there</prosody><break time="1s"/></voice>'
        '<voice name="de-DE-ConradNeural"><say-as interpret-as="characters">AB</say-as>'
        "</voice></speak>"
    )
    pieces = ssml.parse_ssml(doc)
    assert [(p.voice, p.text, p.break_ms) for p in pieces] == [
        ("en-US-JennyNeural", "Hi ", 0),
        ("en-US-JennyNeural", "there", 0),
        ("en-US-JennyNeural", "", 1000),
        ("de-DE-ConradNeural", "A B", 0),
    ]
    assert pieces[1].rate == 1.55 and pieces[3].new_sentence


@pytest.mark.parametrize(
    "doc",
    [
        "<speak>no voice</speak>",
        "<notspeak/>",
        "<speak><voice name='en-US-JennyNeural'>x</speak>",
        '<!DOCTYPE s [<!ENTITY e "x">]><speak><voice name="a">&e;</voice></speak>',
    ],
)
def test_bad_ssml(doc):
    with pytest.raises(ssml.SsmlError):
        ssml.parse_ssml(doc)


def test_billable_characters_count_text_not_tags():
    doc = '<speak><voice name="en-US-JennyNeural">Hello <break/>world</voice></speak>'
    assert ssml.billable_characters(doc, "SSML") == len("Hello world")
    assert ssml.billable_characters("Hello world", "PlainText") == 11


def _create(body: dict, limit: int = 2_000_000) -> dict:
    return validate_create(json.dumps(body).encode(), "application/json", limit)


def test_validation_defaults():
    out = _create(
        {"inputKind": "PlainText", "synthesisConfig": {"voice": "v"}, "inputs": [{"content": "x"}]}
    )
    assert out["properties"] == {
        "timeToLiveInHours": 744,
        "outputFormat": "riff-24khz-16bit-mono-pcm",
        "concatenateResult": False,
        "decompressOutputFiles": False,
        "wordBoundaryEnabled": False,
        "sentenceBoundaryEnabled": False,
    }


@pytest.mark.parametrize(
    ("props", "inner"),
    [
        ({"timeToLiveInHours": 745}, "InvalidTimeToLive"),
        ({"outputFormat": "nope"}, "InvalidOutputFormat"),
        ({"outputFormat": "webm-24khz-16bit-mono-opus"}, "UnsupportedOutputFormat"),
        (
            {"destinationContainerUrl": "http://example.com/c?sig=x"},
            "InvalidDestinationContainerUrl",
        ),
        (
            {"destinationContainerUrl": "https://example.com/c?sv=1"},
            "InvalidDestinationContainerUrl",
        ),
        ({"wordBoundaryEnabled": "yes"}, "InvalidPropertyType"),
    ],
)
def test_validation_errors(props, inner):
    body = {
        "inputKind": "PlainText",
        "synthesisConfig": {"voice": "v"},
        "inputs": [{"content": "x"}],
        "properties": props,
    }
    with pytest.raises(ApiError) as info:
        _create(body)
    assert info.value.status == 400 and info.value.inner == inner


def test_validation_accepts_local_http_destination():
    body = {
        "inputKind": "SSML",
        "inputs": [{"content": "<speak/>"}],
        "properties": {"destinationContainerUrl": "http://127.0.0.1:10000/acct/c?sv=1&sig=abc"},
    }
    assert _create(body)["properties"]["destinationContainerUrl"].startswith("http://127.0.0.1")


def test_payload_limit():
    body = {
        "inputKind": "PlainText",
        "synthesisConfig": {"voice": "v"},
        "inputs": [{"content": "x" * 500}],
    }
    with pytest.raises(ApiError) as info:
        _create(body, limit=100)
    assert info.value.status == 413


def test_rate_limiter_window():
    now = [0.0]
    limiter = RateLimiter(2, 10, clock=lambda: now[0])
    assert limiter.check() is None and limiter.check() is None
    assert limiter.check() == 10
    now[0] = 7.5
    assert limiter.check() == 3
    now[0] = 10.01
    assert limiter.check() is None


def test_faults_are_deterministic_with_seed():
    def run():
        faults = Faults()
        faults.update({"errors": {"*": {"503": 0.5}}, "seed": 7, "fail_input": 0.5})
        return [faults.request_fault("get") for _ in range(20)], [
            faults.input_fails("job", i) for i in range(20)
        ]

    first, second = run(), run()
    assert first == second
    assert 503 in first[0] and None in first[0]
    with pytest.raises(ValueError):
        Faults().update({"fail_job": 2})
    assert parse_fault_spec("create:429=0.25") == ("create", 429, 0.25)
    with pytest.raises(ValueError):
        parse_fault_spec("nope:404=1")


def test_signer():
    from datetime import UTC, datetime, timedelta

    signer = Signer()
    now = datetime.now(UTC)
    query = dict(p.split("=", 1) for p in signer.query("/p", now + timedelta(hours=1)).split("&"))
    assert signer.verify("/p", query["se"], query["sig"], now) is None
    assert signer.verify("/other", query["se"], query["sig"], now) == "invalid"
    assert signer.verify("/p", query["se"], query["sig"], now + timedelta(hours=2)) == "expired"


def test_voices():
    assert find_voice("EN-us-jennyneural").espeak == "en-US"
    locales = {v["Locale"] for v in voice_list()}
    for locale in ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "it-IT", "pt-BR", "zh-CN", "ja-JP"):
        assert locale in locales
