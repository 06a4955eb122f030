"""Output formats: resampling (soxr), WAV/raw PCM, G.711 A-law/µ-law (numpy), MP3 (lameenc).

`FORMATS` lists the Azure output formats the emulator produces; `UNSUPPORTED` lists valid
Azure formats it cannot produce (they are refused with a clear 400 at submission).
G.711 is implemented with numpy because `audioop` is deprecated (DeprecationWarning) in 3.11
and gone in 3.13.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import lameenc
import numpy as np
import soxr

__all__ = [
    "AudioFormat",
    "FORMATS",
    "UNSUPPORTED",
    "DEFAULT_FORMAT",
    "alaw_decode",
    "alaw_encode",
    "encode",
    "lookup",
    "mulaw_decode",
    "mulaw_encode",
]


@dataclass(frozen=True)
class AudioFormat:
    name: str
    rate: int
    codec: str  # pcm | alaw | mulaw | mp3
    container: str  # riff | raw | mp3
    kbps: int = 0

    @property
    def extension(self) -> str:
        return {"riff": "wav", "raw": "raw", "mp3": "mp3"}[self.container]


def _build() -> dict[str, AudioFormat]:
    out: dict[str, AudioFormat] = {}
    rates = {"8khz": 8000, "16khz": 16000, "22050hz": 22050, "24khz": 24000}
    rates |= {"44100hz": 44100, "48khz": 48000}
    for label, rate in rates.items():
        for container in ("riff", "raw"):
            name = f"{container}-{label}-16bit-mono-pcm"
            out[name] = AudioFormat(name, rate, "pcm", container)
    for codec in ("alaw", "mulaw"):
        for container in ("riff", "raw"):
            name = f"{container}-8khz-8bit-mono-{codec}"
            out[name] = AudioFormat(name, 8000, codec, container)
    for rate, kbps_list in ((16000, (32, 64, 128)), (24000, (48, 96, 160)), (48000, (96, 192))):
        for kbps in kbps_list:
            name = f"audio-{rate // 1000}khz-{kbps}kbitrate-mono-mp3"
            out[name] = AudioFormat(name, rate, "mp3", "mp3", kbps)
    return out


FORMATS: dict[str, AudioFormat] = _build()
DEFAULT_FORMAT = "riff-24khz-16bit-mono-pcm"

UNSUPPORTED = frozenset(
    {
        "ogg-16khz-16bit-mono-opus",
        "ogg-24khz-16bit-mono-opus",
        "ogg-48khz-16bit-mono-opus",
        "webm-16khz-16bit-mono-opus",
        "webm-24khz-16bit-mono-opus",
        "webm-24khz-16bit-24kbps-mono-opus",
        "audio-16khz-16bit-32kbps-mono-opus",
        "audio-24khz-16bit-24kbps-mono-opus",
        "audio-24khz-16bit-48kbps-mono-opus",
        "amr-wb-16000hz",
        "g722-16khz-64kbps",
        "raw-16khz-16bit-mono-truesilk",
        "raw-24khz-16bit-mono-truesilk",
    }
)


def lookup(name: str) -> AudioFormat | None:
    """The format with this name (case-insensitive), or None."""
    return FORMATS.get(name.strip().lower())


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.int16)
    out = soxr.resample(samples.astype(np.float32) / 32768.0, from_rate, to_rate, quality="HQ")
    return np.clip(np.round(out * 32768.0), -32768, 32767).astype(np.int16)


_MULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])


def mulaw_encode(pcm: np.ndarray) -> bytes:
    """16-bit linear → G.711 µ-law bytes (ITU-T G.711, as Sun's g711.c)."""
    x = pcm.astype(np.int32) >> 2
    mask = np.where(x < 0, 0x7F, 0xFF)
    x = np.minimum(np.abs(x), 8159) + 0x21
    seg = np.searchsorted(_MULAW_SEG_END, x, side="left")
    uval = (np.minimum(seg, 7) << 4) | ((x >> (np.minimum(seg, 7) + 1)) & 0x0F)
    uval = np.where(seg >= 8, 0x7F, uval)
    return ((uval ^ mask) & 0xFF).astype(np.uint8).tobytes()


def mulaw_decode(data: bytes) -> np.ndarray:
    """G.711 µ-law bytes → 16-bit linear."""
    u = ~np.frombuffer(data, dtype=np.uint8).astype(np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def alaw_encode(pcm: np.ndarray) -> bytes:
    """16-bit linear → G.711 A-law bytes (ITU-T G.711, as Sun's g711.c)."""
    x = pcm.astype(np.int32) >> 3
    mask = np.where(x >= 0, 0xD5, 0x55)
    x = np.where(x >= 0, x, -x - 1)
    seg = np.searchsorted(_ALAW_SEG_END, x, side="left")
    shift = np.where(seg < 2, 1, seg)
    aval = (np.minimum(seg, 7) << 4) | ((x >> shift) & 0x0F)
    aval = np.where(seg >= 8, 0x7F, aval)
    return ((aval ^ mask) & 0xFF).astype(np.uint8).tobytes()


def alaw_decode(data: bytes) -> np.ndarray:
    """G.711 A-law bytes → 16-bit linear."""
    a = np.frombuffer(data, dtype=np.uint8).astype(np.int32) ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, np.where(seg == 1, t + 0x108, (t + 0x108) << (seg - 1)))
    return np.where(a & 0x80, t, -t).astype(np.int16)


def _riff(payload: bytes, rate: int, format_tag: int, bits: int) -> bytes:
    block_align = bits // 8
    fmt = struct.pack("<HHIIHH", format_tag, 1, rate, rate * block_align, block_align, bits)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if format_tag != 1:  # non-PCM WAVE files carry a fact chunk (sample count)
        chunks += b"fact" + struct.pack("<II", 4, len(payload) // block_align)
    data = b"data" + struct.pack("<I", len(payload)) + payload
    if len(payload) % 2:
        data += b"\x00"
    body = b"WAVE" + chunks + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _mp3(pcm: np.ndarray, rate: int, kbps: int) -> bytes:
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbps)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(5)
    return bytes(encoder.encode(pcm.astype("<i2").tobytes()) + encoder.flush())


def encode(samples: np.ndarray, sample_rate: int, fmt: AudioFormat) -> bytes:
    """int16 mono samples at `sample_rate` → bytes in `fmt`."""
    pcm = resample(samples, sample_rate, fmt.rate)
    if fmt.codec == "mp3":
        return _mp3(pcm, fmt.rate, fmt.kbps)
    if fmt.codec == "pcm":
        payload, tag, bits = pcm.astype("<i2").tobytes(), 1, 16
    elif fmt.codec == "alaw":
        payload, tag, bits = alaw_encode(pcm), 6, 8
    else:
        payload, tag, bits = mulaw_encode(pcm), 7, 8
    return _riff(payload, fmt.rate, tag, bits) if fmt.container == "riff" else payload
