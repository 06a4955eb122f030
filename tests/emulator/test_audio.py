"""Real speech: the audio decodes, durations fit the text, timings fit the audio."""

from __future__ import annotations

import io
import json
import struct
import uuid
import wave
import zipfile

import httpx
import pytest

from tests.emulator.conftest import Client, plain, speak, ssml

TEXT = "The rainbow has seven colors. Red is the first one."
WORDS = len(TEXT.split())


def run(client: Client, body: dict) -> tuple[dict, zipfile.ZipFile]:
    job_id = f"audio-{uuid.uuid4().hex[:10]}"
    assert client.put(job_id, body).status_code == 201
    job = client.wait(job_id)
    result = httpx.get(job["outputs"]["result"])
    assert result.status_code == 200
    return job, zipfile.ZipFile(io.BytesIO(result.content))


def check_boundaries(items: list[dict], duration_ms: int) -> None:
    assert items
    previous = -1
    for item in items:
        assert set(item) == {"Text", "AudioOffset", "Duration"}
        assert isinstance(item["Text"], str) and item["Text"]
        assert item["AudioOffset"] >= previous
        assert item["Duration"] >= 0
        assert item["AudioOffset"] + item["Duration"] <= duration_ms
        previous = item["AudioOffset"]


def test_wav_with_word_and_sentence_boundaries(client: Client):
    job, archive = run(
        client,
        plain(TEXT, wordBoundaryEnabled=True, sentenceBoundaryEnabled=True),
    )
    assert sorted(archive.namelist()) == [
        "0001.sentence.json",
        "0001.wav",
        "0001.word.json",
        "summary.json",
    ]
    with wave.open(io.BytesIO(archive.read("0001.wav"))) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 24000)
        duration_ms = w.getnframes() * 1000 // w.getframerate()
    assert 40 * WORDS <= duration_ms <= 400 * WORDS
    words = json.loads(archive.read("0001.word.json"))
    check_boundaries(words, duration_ms + 1)
    assert [w["Text"] for w in words] == [w.strip(".") for w in TEXT.split()]
    sentences = json.loads(archive.read("0001.sentence.json"))
    check_boundaries(sentences, duration_ms + 1)
    assert len(sentences) == 2 and sentences[0]["Text"].startswith("The rainbow")
    summary = json.loads(archive.read("summary.json"))
    entry = summary["results"][0]
    assert summary["jobID"] == job["id"] and summary["status"] == "Succeeded"
    assert entry["audioFileName"] == "0001.wav" and entry["texts"] == [TEXT]
    assert entry["properties"]["audioSize"] == len(archive.read("0001.wav"))
    assert entry["properties"]["wordBoundaryFileName"] == "0001.word.json"
    props = job["properties"]
    assert props["sizeInBytes"] == entry["properties"]["audioSize"]
    assert abs(props["durationInMilliseconds"] - duration_ms) <= 2
    assert props["billingDetails"]["neuralCharacters"] == len(TEXT)
    assert (props["succeededAudioCount"], props["failedAudioCount"]) == (1, 0)


def _mp3_frames(data: bytes) -> tuple[int, int, int]:
    """(frames, sample rate, samples) by walking MPEG audio frame headers."""
    rates = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000)}  # MPEG-1, MPEG-2
    bitrates = {
        3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
        2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    }
    pos = frames = samples = 0
    rate = 0
    if data[:3] == b"ID3":
        size = data[6:10]
        pos = 10 + ((size[0] << 21) | (size[1] << 14) | (size[2] << 7) | size[3])
    while pos + 4 <= len(data):
        header = struct.unpack(">I", data[pos : pos + 4])[0]
        assert header >> 21 == 0x7FF, f"no frame sync at {pos}"
        version = (header >> 19) & 3
        assert (header >> 17) & 3 == 1  # layer III
        kbps = bitrates[version][(header >> 12) & 15]
        rate = rates[version][(header >> 10) & 3]
        padding = (header >> 9) & 1
        per_frame = 1152 if version == 3 else 576
        length = (144 if version == 3 else 72) * kbps * 1000 // rate + padding
        frames += 1
        samples += per_frame
        pos += length
    return frames, rate, samples


@pytest.mark.parametrize(
    ("fmt", "rate"),
    [("audio-24khz-160kbitrate-mono-mp3", 24000), ("audio-48khz-192kbitrate-mono-mp3", 48000)],
)
def test_mp3(client: Client, fmt, rate):
    job, archive = run(client, plain(TEXT, outputFormat=fmt))
    data = archive.read("0001.mp3")
    frames, frame_rate, samples = _mp3_frames(data)
    assert frame_rate == rate and frames > 10
    decoded_ms = samples * 1000 // rate
    assert job["properties"]["durationInMilliseconds"] <= decoded_ms
    assert decoded_ms - job["properties"]["durationInMilliseconds"] < 200  # encoder padding
    assert 40 * WORDS <= decoded_ms <= 400 * WORDS


@pytest.mark.parametrize(
    ("fmt", "tag", "name"),
    [
        ("riff-8khz-8bit-mono-mulaw", 7, "0001.wav"),
        ("riff-8khz-8bit-mono-alaw", 6, "0001.wav"),
        ("raw-16khz-16bit-mono-pcm", None, "0001.raw"),
        ("riff-48khz-16bit-mono-pcm", 1, "0001.wav"),
    ],
)
def test_other_formats(client: Client, fmt, tag, name):
    job, archive = run(client, plain("Short text.", outputFormat=fmt))
    data = archive.read(name)
    duration = job["properties"]["durationInMilliseconds"]
    if tag is None:
        assert abs(len(data) / 2 / 16000 * 1000 - duration) <= 2
    else:
        assert data[:4] == b"RIFF" and struct.unpack("<H", data[20:22])[0] == tag


def test_ssml_voices_prosody_and_concatenation(client: Client):
    first = speak(
        'Hello <prosody rate="-30%" pitch="+20%">slowly</prosody>.<break time="400ms"/>'
        '<say-as interpret-as="characters">AB</say-as>'
    )
    second = (
        '<speak version="1.0" xml:lang="de-DE"><voice name="de-DE-KatjaNeural">Guten Tag.</voice>'
        '<voice name="fr-FR-DeniseNeural">Bonjour.</voice></speak>'
    )
    job, archive = run(
        client, ssml(first, second, concatenateResult=True, wordBoundaryEnabled=True)
    )
    assert sorted(archive.namelist()) == ["0001.wav", "0001.word.json", "summary.json"]
    with wave.open(io.BytesIO(archive.read("0001.wav"))) as w:
        duration_ms = w.getnframes() * 1000 // w.getframerate()
    words = json.loads(archive.read("0001.word.json"))
    check_boundaries(words, duration_ms + 1)
    assert [w["Text"] for w in words] == ["Hello", "slowly", "A", "B", "Guten", "Tag", "Bonjour"]
    assert words[2]["AudioOffset"] - (words[1]["AudioOffset"] + words[1]["Duration"]) >= 350
    summary = json.loads(archive.read("summary.json"))
    assert len(summary["results"]) == 1 and summary["results"][0]["texts"] == [first, second]
    assert job["properties"]["succeededAudioCount"] == 1
    assert job["properties"]["billingDetails"]["neuralCharacters"] == len("Hello slowly.AB") + len(
        "Guten Tag.Bonjour."
    )


@pytest.mark.parametrize(
    "voice",
    [
        "en-GB-SoniaNeural",
        "es-ES-ElviraNeural",
        "it-IT-DiegoNeural",
        "pt-BR-FranciscaNeural",
        "zh-CN-XiaoxiaoNeural",
        "ja-JP-NanamiNeural",
    ],
)
def test_locales_speak(client: Client, voice):
    texts = {"zh": "你好，世界。", "ja": "こんにちは。"}
    job, archive = run(client, plain(texts.get(voice[:2], "Hola, buongiorno, olá."), voice=voice))
    assert job["status"] == "Succeeded"
    assert job["properties"]["durationInMilliseconds"] > 300


def test_partial_failure_summary(client: Client):
    job, archive = run(client, ssml(speak("Fine."), speak("Nope.", voice="en-US-NobodyNeural")))
    summary = json.loads(archive.read("summary.json"))
    good, bad = summary["results"]
    assert good["status"] == "Succeeded" and good["audioFileName"] == "0001.wav"
    assert bad["status"] == "Failed" and "en-US-NobodyNeural" in bad["errorMessage"]
    assert "0002.wav" not in archive.namelist()
