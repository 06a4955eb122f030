"""Joining audio pieces: formats, exact durations, headers."""

import io
import struct
import wave

import pytest

from shared.audio import parse_format, split_piece, wav_header


def _wav(samples: int, rate: int = 24000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x01\x00" * samples)
    return buffer.getvalue()


def _mp3_frame(bitrate_index: int = 9) -> bytes:
    # MPEG-2 layer III, 24 kHz, no padding: 576 samples, length = 72 * bitrate / rate.
    header = (0x7FF << 21) | (2 << 19) | (1 << 17) | (1 << 16) | (bitrate_index << 12) | (1 << 10)
    bitrate = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96][bitrate_index] * 1000
    length = 72 * bitrate // 24000
    return struct.pack(">I", header) + b"\x00" * (length - 4)


@pytest.mark.parametrize(
    ("name", "kind", "extension"),
    [
        ("riff-24khz-16bit-mono-pcm", "riff", "wav"),
        ("raw-8khz-8bit-mono-mulaw", "raw", "raw"),
        ("riff-8khz-8bit-mono-alaw", "riff", "wav"),
        ("audio-24khz-96kbitrate-mono-mp3", "mp3", "mp3"),
        ("audio-48khz-192kbitrate-mono-mp3", "mp3", "mp3"),
        ("ogg-24khz-16bit-mono-opus", "other", "ogg"),
        ("webm-24khz-16bit-mono-opus", "other", "webm"),
    ],
)
def test_parse_format(name, kind, extension):
    parsed = parse_format(name)
    assert (parsed.kind, parsed.extension, parsed.joinable) == (kind, extension, kind != "other")


def test_wav_piece_duration_is_exact_and_header_rebuilds():
    piece = split_piece(parse_format("riff-24khz-16bit-mono-pcm"), _wav(36000))
    assert piece.duration_ms == pytest.approx(1500.0)
    joined = wav_header(piece.fmt_chunk, 2 * len(piece.payload)) + piece.payload * 2
    with wave.open(io.BytesIO(joined)) as reread:
        assert reread.getnframes() == 72000
        assert reread.getframerate() == 24000


def test_raw_duration():
    piece = split_piece(parse_format("raw-8khz-8bit-mono-mulaw"), b"\x00" * 4000)
    assert piece.duration_ms == pytest.approx(500.0)


def test_mp3_duration_counts_frames_and_skips_id3():
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x05" + b"\x00" * 5
    data = id3 + _mp3_frame() * 100
    piece = split_piece(parse_format("audio-24khz-96kbitrate-mono-mp3"), data)
    assert piece.payload.startswith(b"\xff")
    assert piece.duration_ms == pytest.approx(100 * 576 / 24)


def test_garbage_is_refused():
    with pytest.raises(ValueError):
        split_piece(parse_format("audio-24khz-96kbitrate-mono-mp3"), b"\x00" * 100)
    with pytest.raises(ValueError):
        split_piece(parse_format("riff-24khz-16bit-mono-pcm"), b"RIFX0000WAVE")
    with pytest.raises(ValueError):
        split_piece(parse_format("ogg-24khz-16bit-mono-opus"), b"OggS")
