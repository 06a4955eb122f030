"""Azure SSML and plain text → a flat list of synthesis pieces for espeak-ng.

espeak-ng's own SSML support is partial and its character positions drift after markup,
so the emulator does the SSML itself: it parses the document (defusedxml: no DTDs, no
entities, nothing external), walks it with the current voice and prosody, and produces
`Piece`s of plain text (each synthesised with its own voice and rate/pitch/volume) and
breaks (silence). Word timings then map exactly onto each piece's text.

Supported: `speak`, `voice` (switching voices mid-document), `prosody` (rate, pitch,
volume), `break` (time, strength), `p`, `s`, `say-as` (characters/spell-out spelled out
letter by letter; other kinds read as written), `sub` (alias), `phoneme`, `emphasis`,
`lang`, `mstts:express-as` (style ignored) — other elements are read for their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

__all__ = [
    "Piece",
    "SsmlError",
    "billable_characters",
    "check_ssml",
    "parse_ssml",
    "plain_pieces",
    "rate_factor",
    "pitch_factor",
    "volume_factor",
]


class SsmlError(ValueError):
    """The SSML cannot be synthesised (message names the reason)."""


@dataclass(frozen=True)
class Piece:
    voice: str  # Azure voice name as written
    text: str = ""
    break_ms: int = 0  # > 0: a silence instead of text
    rate: float = 1.0  # multiplier
    pitch: float = 1.0  # multiplier
    volume: float = 1.0  # multiplier (1.0 = default loudness)
    new_sentence: bool = False  # starts a new sentence (p / s / voice boundary)


_RATE_NAMES = {"x-slow": 0.5, "slow": 0.64, "medium": 1.0, "fast": 1.55, "x-fast": 2.0}
_PITCH_NAMES = {"x-low": 0.55, "low": 0.8, "medium": 1.0, "high": 1.2, "x-high": 1.45}
_VOLUME_NAMES = {
    "silent": 0.0,
    "x-soft": 0.2,
    "soft": 0.4,
    "medium": 0.6,
    "loud": 0.8,
    "x-loud": 1.0,
}
_BREAK_STRENGTH = {
    "none": 0,
    "x-weak": 250,
    "weak": 500,
    "medium": 750,
    "strong": 1000,
    "x-strong": 1250,
}
_NUM = r"([+-]?\d+(?:\.\d+)?)"


def rate_factor(value: str | None) -> float:
    """Azure prosody rate (`+30%`, `-20%`, `1.5`, `fast`, `default`) → multiplier 0.5–2."""
    if not value:
        return 1.0
    v = value.strip().lower()
    factor = 1.0
    if v in _RATE_NAMES:
        factor = _RATE_NAMES[v]
    elif m := re.fullmatch(_NUM + "%", v):
        factor = 1.0 + float(m.group(1)) / 100
    elif m := re.fullmatch(_NUM, v):
        factor = float(m.group(1))
    return min(2.0, max(0.5, factor))


def pitch_factor(value: str | None) -> float:
    """Azure prosody pitch (`+10%`, `-2st`, `+50Hz`, `high`, `default`) → multiplier."""
    if not value:
        return 1.0
    v = value.strip().lower()
    factor = 1.0
    if v in _PITCH_NAMES:
        factor = _PITCH_NAMES[v]
    elif m := re.fullmatch(_NUM + "%", v):
        factor = 1.0 + float(m.group(1)) / 100
    elif m := re.fullmatch(_NUM + "st", v):
        factor = 2 ** (float(m.group(1)) / 12)
    elif m := re.fullmatch(_NUM + "hz", v):
        hz = float(m.group(1))
        factor = 1.0 + hz / 150 if m.group(1)[0] in "+-" else hz / 150
    return min(2.0, max(0.25, factor))


def volume_factor(value: str | None) -> float:
    """Azure prosody volume (`+20%`, `50`, `loud`, `default`) → multiplier of the default."""
    if not value:
        return 1.0
    v = value.strip().lower()
    factor = 1.0
    if v in _VOLUME_NAMES:
        factor = _VOLUME_NAMES[v]
    elif m := re.fullmatch(_NUM + "%", v):
        factor = 1.0 + float(m.group(1)) / 100
    elif m := re.fullmatch(_NUM, v):
        number = float(m.group(1))
        factor = 1.0 + number / 100 if m.group(1)[0] in "+-" else number / 100
    return min(2.0, max(0.0, factor))


def _break_ms(element: Element) -> int:
    time = (element.get("time") or "").strip().lower()
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s)", time):
        ms = float(m.group(1)) * (1000 if m.group(2) == "s" else 1)
        return int(min(ms, 20_000))
    return _BREAK_STRENGTH.get((element.get("strength") or "medium").lower(), 750)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _parse(content: str) -> Element:
    try:
        root = DET.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SsmlError(f"SSML must not contain a DTD or entity declarations ({exc})") from exc
    except DET.ParseError as exc:
        raise SsmlError(f"SSML is not well-formed XML: {exc}") from exc
    if _local(root.tag) != "speak":
        raise SsmlError("SSML root element must be 'speak'")
    return root


def check_ssml(content: str) -> str | None:
    """A reason the SSML is unusable at submission time, or None if it is well-formed."""
    try:
        _parse(content)
    except SsmlError as exc:
        return str(exc)
    return None


def billable_characters(content: str, kind: str) -> int:
    """Characters billed: plain text as is; SSML: its text content, not its tags."""
    if kind == "PlainText":
        return len(content)
    try:
        root = _parse(content)
    except SsmlError:
        return 0
    return len(re.sub(r"\s+", " ", "".join(root.itertext())).strip())


def _spell(text: str) -> str:
    return " ".join(ch for ch in text if not ch.isspace())


class _Walker:
    def __init__(self) -> None:
        self.pieces: list[Piece] = []
        self._boundary = True

    def add_text(self, ctx: Piece | None, text: str | None) -> None:
        if not text or not text.strip():
            return
        if ctx is None:
            raise SsmlError("SSML text must be inside a 'voice' element")
        last = self.pieces[-1] if self.pieces else None
        if (
            last is not None
            and not self._boundary
            and last.break_ms == 0
            and replace(last, text="", new_sentence=False) == replace(ctx, new_sentence=False)
        ):
            self.pieces[-1] = replace(last, text=last.text + text)
        else:
            self.pieces.append(replace(ctx, text=text, new_sentence=self._boundary))
        self._boundary = False

    def boundary(self) -> None:
        self._boundary = True

    def walk(self, element: Element, ctx: Piece | None) -> None:
        tag = _local(element.tag)
        inner = ctx
        if tag == "voice":
            name = element.get("name")
            if not name:
                raise SsmlError("SSML 'voice' element needs a 'name' attribute")
            inner = Piece(voice=name.strip())
            self.boundary()
        elif tag == "prosody" and ctx is not None:
            inner = replace(
                ctx,
                rate=ctx.rate * rate_factor(element.get("rate")),
                pitch=ctx.pitch * pitch_factor(element.get("pitch")),
                volume=ctx.volume * volume_factor(element.get("volume")),
            )
        elif tag == "break":
            if ctx is not None:
                self.pieces.append(replace(ctx, text="", break_ms=_break_ms(element)))
            self.add_text(ctx, element.tail)
            return
        elif tag in ("p", "s"):
            self.boundary()
        elif tag == "say-as":
            kind = (element.get("interpret-as") or "").lower()
            text = "".join(element.itertext())
            self.add_text(ctx, _spell(text) if kind in ("characters", "spell-out") else text)
            self.add_text(ctx, element.tail)
            return
        elif tag == "sub":
            self.add_text(ctx, element.get("alias") or "".join(element.itertext()))
            self.add_text(ctx, element.tail)
            return
        elif tag in (
            "audio",
            "bookmark",
            "mark",
            "lexicon",
            "silence",
            "viseme",
            "backgroundaudio",
        ):
            self.add_text(ctx, element.tail)
            return
        self.add_text(inner, element.text)
        for child in element:
            self.walk(child, inner)
        if tag in ("p", "s", "voice"):
            self.boundary()
        self.add_text(ctx, element.tail)


def parse_ssml(content: str) -> list[Piece]:
    """Azure SSML → pieces. Raises SsmlError (no voice, text outside a voice, bad XML)."""
    root = _parse(content)
    walker = _Walker()
    walker.walk(root, None)
    if not any(p.text for p in walker.pieces):
        raise SsmlError("SSML contains no text to synthesise")
    return walker.pieces


_STYLE_PITCH = {"cheerful": 1.1, "excited": 1.15, "sad": 0.9, "angry": 1.05, "whispering": 0.95}
_STYLE_RATE = {"cheerful": 1.05, "excited": 1.1, "sad": 0.9, "calm": 0.95}


def plain_pieces(
    text: str,
    voice: str,
    rate: str | None = None,
    pitch: str | None = None,
    volume: str | None = None,
    style: str | None = None,
) -> list[Piece]:
    """PlainText input with synthesisConfig's rate/pitch/volume (and a rough style) applied."""
    style_key = (style or "").lower()
    base = Piece(
        voice=voice,
        rate=rate_factor(rate) * _STYLE_RATE.get(style_key, 1.0),
        pitch=pitch_factor(pitch) * _STYLE_PITCH.get(style_key, 1.0),
        volume=volume_factor(volume),
        new_sentence=True,
    )
    paragraphs = [p for p in re.split(r"\r?\n\s*\r?\n", text) if p.strip()]
    return [replace(base, text=p) for p in paragraphs] or [replace(base, text=text)]
