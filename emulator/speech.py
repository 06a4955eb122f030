"""Real speech from espeak-ng (the `espeakng-loader` wheel) through ctypes.

`espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS)` + `espeak_SetSynthCallback` + `espeak_Synth`
give 16-bit mono samples at 22,050 Hz plus WORD / SENTENCE events carrying the character
position in the text and the sample position in the audio. espeak-ng has global state, so
one `Engine` per process and one synthesis at a time (a lock guards it; the store's single
worker thread is the only caller in the server).

`render(pieces)` synthesises a list of `ssml.Piece`s (plain text with voice and prosody, or
silences) and returns the samples with word and sentence boundaries in samples.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass, field

import espeakng_loader
import numpy as np

from emulator.ssml import Piece
from emulator.voices import find_voice

__all__ = ["Boundary", "Engine", "Rendering", "UnknownVoiceError", "engine"]

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_SENTENCE = 2
_EVENT_END = 5
_EVENT_MSG_TERMINATED = 6
_PARAM_RATE = 1
_PARAM_VOLUME = 2
_PARAM_PITCH = 3
_DEFAULT_WPM = 175
_DEFAULT_PITCH = 50
_DEFAULT_VOLUME = 100
_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
_PUNCT = "\"'“”‘’«»()[]{}.,;:!?¿¡…-–—。、，！？；：「」『』"


class UnknownVoiceError(ValueError):
    """A voice name the emulator does not map (message names the voice)."""


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class Boundary:
    text: str
    start: int  # sample
    end: int  # sample (exclusive)


@dataclass
class Rendering:
    sample_rate: int
    samples: np.ndarray  # int16
    words: list[Boundary] = field(default_factory=list)
    sentences: list[Boundary] = field(default_factory=list)

    @property
    def duration_ms(self) -> int:
        return round(len(self.samples) * 1000 / self.sample_rate)

    def ms(self, sample: int) -> int:
        return round(sample * 1000 / self.sample_rate)


class Engine:
    """The process's espeak-ng instance."""

    def __init__(self) -> None:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        self._lib = lib
        self._lock = threading.Lock()
        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if rate <= 0:
            raise RuntimeError("espeak-ng failed to initialise")
        self.sample_rate = rate
        self._chunks: list[bytes] = []
        self._events: list[tuple[int, int, int, int]] = []
        self._callback = _Callback(self._on_audio)  # keep a reference: called from C
        lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav, count, events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            e = events[i]
            self._events.append((e.type, e.text_position, e.length, e.sample))
            if e.type == _EVENT_MSG_TERMINATED:
                break
            i += 1
        return 0

    def synth(
        self, text: str, espeak_voice: str, rate: float, pitch: float, volume: float
    ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
        """Plain text → (int16 samples, [(event type, char position 1-based, length, sample)])."""
        with self._lock:
            self._chunks, self._events = [], []
            if self._lib.espeak_SetVoiceByName(espeak_voice.encode()) != 0:
                raise UnknownVoiceError(f"espeak-ng has no voice '{espeak_voice}'")
            lib = self._lib
            lib.espeak_SetParameter(_PARAM_RATE, int(min(450, max(80, _DEFAULT_WPM * rate))), 0)
            lib.espeak_SetParameter(_PARAM_PITCH, int(min(100, max(0, _DEFAULT_PITCH * pitch))), 0)
            lib.espeak_SetParameter(
                _PARAM_VOLUME, int(min(200, max(0, _DEFAULT_VOLUME * volume))), 0
            )
            data = text.encode("utf-8")
            code = lib.espeak_Synth(
                data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            if code != 0:
                raise RuntimeError(f"espeak_Synth failed with code {code}")
            samples = np.frombuffer(b"".join(self._chunks), dtype=np.int16).copy()
            return samples, list(self._events)

    def render(self, pieces: list[Piece]) -> Rendering:
        """Synthesise pieces in order; raises UnknownVoiceError naming an unmapped voice."""
        parts: list[np.ndarray] = []
        words: list[Boundary] = []
        sentences: list[list] = []  # [texts, start, end]
        offset = 0
        ends_sentence = False
        for piece in pieces:
            voice = find_voice(piece.voice)
            if voice is None:
                raise UnknownVoiceError(
                    f"The voice '{piece.voice}' is not supported (unknown voice name)."
                )
            if piece.break_ms:
                n = piece.break_ms * self.sample_rate // 1000
                parts.append(np.zeros(n, dtype=np.int16))
                offset += n
                continue
            samples, events = self.synth(
                piece.text, voice.espeak_name, piece.rate, piece.pitch, piece.volume
            )
            piece_words = _words(piece.text, samples, events)
            starts_sentence = piece.new_sentence or ends_sentence
            for index, (kind, start, end, text) in enumerate(piece_words):
                if kind == "sentence":
                    # espeak starts every synthesis with a SENTENCE event: only a new sentence
                    # when the piece starts one, or when it is inside the piece.
                    if index > 0 or starts_sentence or not sentences:
                        sentences.append([[], start + offset, start + offset])
                    continue
                if not sentences:
                    sentences.append([[], start + offset, start + offset])
                words.append(Boundary(text, start + offset, end + offset))
                sentences[-1][0].append(text)
                sentences[-1][2] = end + offset
            ends_sentence = piece.text.rstrip().endswith(_SENTENCE_END)
            parts.append(samples)
            offset += len(samples)
        audio = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        joined = [Boundary(" ".join(t), s, e) for t, s, e in sentences if t]
        return Rendering(self.sample_rate, audio, words, joined)


def _voiced_end(samples: np.ndarray, start: int, end: int) -> int:
    """End of the last non-silent stretch in samples[start:end] (trailing pause trimmed)."""
    window = np.abs(samples[start:end].astype(np.int32))
    if window.size == 0:
        return end
    threshold = max(200, int(window.max()) // 20)
    loud = np.nonzero(window > threshold)[0]
    if loud.size == 0:
        return end
    return min(end, start + int(loud[-1]) + 1 + 110)  # + ~5 ms decay


def _words(text: str, samples: np.ndarray, events) -> list[tuple[str, int, int, str]]:
    """espeak events → [(\"word\"|\"sentence\", start, end, text)] in samples."""
    marks = [
        (kind, pos, length, sample)
        for kind, pos, length, sample in events
        if kind in (_EVENT_WORD, _EVENT_SENTENCE)
    ]
    total = len(samples)
    out: list[tuple[str, int, int, str]] = []
    starts = [min(s, total) for _, _, _, s in marks] + [total]
    last_pos = None
    for i, (kind, pos, length, sample) in enumerate(marks):
        start = min(sample, total)
        nxt = next((s for s in starts[i + 1 :] if s > start), total)
        if kind == _EVENT_SENTENCE:
            out.append(("sentence", start, start, ""))
            continue
        word = text[max(0, pos - 1) : max(0, pos - 1) + length].strip(_PUNCT + " \t\r\n")
        if not word:
            continue
        end = min(total, max(start + 1, _voiced_end(samples, start, nxt)))
        if pos == last_pos and out and out[-1][0] == "word":
            # espeak reports one text span several times (e.g. Japanese): one word
            out[-1] = ("word", out[-1][1], max(out[-1][2], end), out[-1][3])
            continue
        last_pos = pos
        out.append(("word", start, end, word))
    return out


_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    """The process-wide engine (created on first use)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine()
        return _engine
