"""Just enough about audio containers to join pieces and time them exactly.

speechdrop asks the service for one audio file per input and joins them itself, so that
a file split over several jobs still becomes one audio file and the timings of every
input can be shifted by the exact duration of what came before. Joining works for:

- RIFF/WAV (`riff-*`): the pieces' data chunks are concatenated under one new header;
- raw PCM / G.711 (`raw-*`): bytes are concatenated;
- MP3 (`audio-*-mp3`): MPEG frames are concatenated (ID3 tags dropped); durations come
  from counting frames, so they are exact to the frame.

Durations are exact for PCM and G.711 (bytes / byte rate) and frame-exact for MP3.
Other formats (Ogg, WebM, AMR, ...) cannot be joined: `joinable()` says so and the
pipeline asks the user to turn concatenation off for them.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

__all__ = ["AudioFormat", "Piece", "parse_format", "split_piece", "wav_header"]

_FORMAT = re.compile(
    r"^(?P<container>riff|raw|audio)-(?P<rate>\d+)khz-(?P<detail>.+)-mono-(?P<codec>[a-z0-9]+)$"
)
_RATES = {"8": 8000, "16": 16000, "22050": 22050, "24": 24000, "44100": 44100, "48": 48000}
_RATES.update({"22": 22050, "44": 44100})


@dataclass(frozen=True)
class AudioFormat:
    name: str
    kind: str  # "riff", "raw", "mp3" or "other"
    extension: str
    sample_rate: int | None = None
    bytes_per_second: int | None = None

    @property
    def joinable(self) -> bool:
        return self.kind != "other"


@dataclass(frozen=True)
class Piece:
    """One input's audio, reduced to what joins: the payload and its exact duration."""

    payload: bytes
    duration_ms: float
    fmt_chunk: bytes | None = None  # RIFF 'fmt ' chunk body, for the joined header


def parse_format(name: str) -> AudioFormat:
    match = _FORMAT.match(name)
    if not match:
        return AudioFormat(name, "other", _other_extension(name))
    rate = _RATES.get(match["rate"])
    codec, detail = match["codec"], match["detail"]
    if match["container"] == "audio" and codec == "mp3":
        return AudioFormat(name, "mp3", "mp3", rate)
    if match["container"] in ("riff", "raw") and rate and codec in ("pcm", "alaw", "mulaw"):
        sample_bytes = 1 if codec in ("alaw", "mulaw") or detail.startswith("8bit") else 2
        kind = match["container"]
        extension = "wav" if kind == "riff" else "raw"
        return AudioFormat(name, kind, extension, rate, rate * sample_bytes)
    return AudioFormat(name, "other", _other_extension(name))


def _other_extension(name: str) -> str:
    for prefix, extension in (("ogg", "ogg"), ("webm", "webm"), ("amr", "amr"), ("g722", "g722")):
        if name.startswith(prefix):
            return extension
    return "mp3" if name.endswith("mp3") else "bin"


def split_piece(audio_format: AudioFormat, data: bytes) -> Piece:
    """The joinable payload of one input's audio file and its duration."""
    if audio_format.kind == "riff":
        fmt_chunk, payload = _wav_chunks(data)
        byte_rate = struct.unpack_from("<I", fmt_chunk, 8)[0]
        return Piece(payload, 1000 * len(payload) / byte_rate, fmt_chunk)
    if audio_format.kind == "raw":
        return Piece(data, 1000 * len(data) / audio_format.bytes_per_second)
    if audio_format.kind == "mp3":
        payload = _strip_id3(data)
        return Piece(payload, _mp3_duration_ms(payload))
    raise ValueError(f"{audio_format.name} cannot be joined")


def wav_header(fmt_chunk: bytes, data_size: int) -> bytes:
    """A RIFF header for `data_size` bytes of audio described by `fmt_chunk`."""
    riff_size = 4 + (8 + len(fmt_chunk)) + (8 + data_size)
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt_chunk))
        + fmt_chunk
        + b"data"
        + struct.pack("<I", data_size)
    )


def _wav_chunks(data: bytes) -> tuple[bytes, bytes]:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    position, fmt_chunk, payload = 12, None, None
    while position + 8 <= len(data):
        chunk_id, size = (
            data[position : position + 4],
            struct.unpack_from("<I", data, position + 4)[0],
        )
        body = data[position + 8 : position + 8 + size]
        if chunk_id == b"fmt ":
            fmt_chunk = body
        elif chunk_id == b"data":
            payload = body
        position += 8 + size + (size & 1)
    if fmt_chunk is None or payload is None:
        raise ValueError("RIFF/WAVE file without fmt or data chunk")
    return fmt_chunk, payload


def _strip_id3(data: bytes) -> bytes:
    if data[:3] == b"ID3" and len(data) >= 10:
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        data = data[10 + size :]
    if len(data) >= 128 and data[-128:-125] == b"TAG":
        data = data[:-128]
    return data


# MPEG audio frame header tables (ISO 11172-3 / 13818-3), layer III only.
_MP3_BITRATES = {
    1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_MP3_SAMPLE_RATES = {1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 25: [11025, 12000, 8000]}


def _mp3_duration_ms(data: bytes) -> float:
    """Sum of frame durations, walking the frame headers."""
    position, duration, frames = 0, 0.0, 0
    while position + 4 <= len(data):
        header = struct.unpack_from(">I", data, position)[0]
        if header >> 21 != 0x7FF:
            position += 1
            continue
        version_bits = (header >> 19) & 3
        version = {3: 1, 2: 2, 0: 25}.get(version_bits)
        layer = (header >> 17) & 3
        bitrate_index = (header >> 12) & 0xF
        rate_index = (header >> 10) & 3
        if version is None or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
            position += 1
            continue
        table = 1 if version == 1 else 2
        bitrate = _MP3_BITRATES[table][bitrate_index] * 1000
        sample_rate = _MP3_SAMPLE_RATES[version][rate_index]
        samples = 1152 if version == 1 else 576
        padding = (header >> 9) & 1
        length = samples // 8 * bitrate // sample_rate + padding
        duration += 1000 * samples / sample_rate
        frames += 1
        position += max(length, 4)
    if not frames:
        raise ValueError("no MPEG audio frames found")
    return duration
