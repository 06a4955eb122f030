"""SSML: one or more ``<speak>`` documents in a file, parsed safely with defusedxml.

A file may hold several complete ``<speak>`` documents one after another (the Long Audio
convention); each may start with its own XML declaration. Every document becomes one
input, copied verbatim from the file.

Hostile XML never gets far: any DOCTYPE or markup declaration (``<!DOCTYPE``,
``<!ENTITY``, ...) anywhere in the text is refused before parsing, and the parser is
defusedxml's (DTDs, entity declarations and external references forbidden) as a second
line of defence. Only the five predefined entities and character references resolve.
Elements and attributes must be in the SSML namespace or one of the Azure extension
namespaces (``mstts``, EmotionML): XInclude and any other foreign markup is refused, so
nothing in a document can ask anyone to fetch or include anything. Nothing is fetched.

Each document must have the root ``speak`` in the namespace
``http://www.w3.org/2001/10/synthesis`` with ``version="1.0"`` and ``xml:lang``, at least
one ``<voice name="...">``, and no text outside ``<voice>`` elements. Voice names are
returned to the caller, who checks them against the voice catalog.

The voice-name and prosody checks at the end (`check_voice`, `check_rate`, ...) are shared
with blob metadata and JSON job documents, whose values are SSML prosody values too.

Billable characters are counted as the text content of a document (markup excluded, runs
of whitespace counted as one space). Azure also bills some markup, so this is a lower
bound for SSML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from shared.errors import InputError

__all__ = [
    "ROLES",
    "SSML_NAMESPACE",
    "SpeakDocument",
    "check_pitch",
    "check_rate",
    "check_style",
    "check_voice",
    "check_volume",
    "parse_speak_documents",
]

SSML_NAMESPACE = "http://www.w3.org/2001/10/synthesis"
_SPEAK = f"{{{SSML_NAMESPACE}}}speak"
_VOICE = f"{{{SSML_NAMESPACE}}}voice"
_XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
_LANG = f"{{{_XML_NAMESPACE}}}lang"
#: Namespaces whose elements and attributes may appear inside a <speak> document.
_ALLOWED_NAMESPACES = frozenset(
    {
        SSML_NAMESPACE,
        "http://www.w3.org/2001/mstts",
        "https://www.w3.org/2001/mstts",
        "http://www.w3.org/2009/10/emotionml",
    }
)
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"<\?xml(?=[\s?])[^>]*\?>")
_WRAPPER = "speechdrop-wrapper-7f3a"
_PREFIX = f"<{_WRAPPER}>\n".encode()
_SUFFIX = f"\n</{_WRAPPER}>".encode()
_NO_DTD = "DTDs and entities are not allowed in SSML: remove the DOCTYPE and entity declarations."
_UNDEFINED_ENTITY = expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]


@dataclass(frozen=True)
class SpeakDocument:
    content: str  # the <speak> element exactly as written in the file
    line: int  # 1-based line of its start tag
    characters: int  # billable characters (text content, see the module docstring)
    voices: tuple[tuple[str, int], ...]  # (voice name, line) in document order


def parse_speak_documents(text: str, origin: str = "", single: bool = False) -> list[SpeakDocument]:
    """The ``<speak>`` documents in `text`; `origin` prefixes error places (``inputs[3], ``).

    With `single`, the text must hold exactly one document (a JSON job's SSML input).
    """
    declaration = _DECLARATION.search(text)
    if declaration:
        raise InputError("ssml", _NO_DTD, f"{origin}line {_line(text, declaration.start())}")
    declarations = [m.span() for m in _XML_DECLARATION.finditer(text)]
    body = _XML_DECLARATION.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)
    buffer = _PREFIX + body.encode("utf-8") + _SUFFIX
    target = _Target(origin)
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    target.expat = parser.parser
    try:
        parser.feed(buffer)
        parser.close()
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden):
        raise InputError("ssml", _NO_DTD, f"{origin}line 1") from None
    except ParseError as exc:
        raise _syntax_error(exc, text, origin) from None
    documents = []
    for (begin, end, line), characters, voices in zip(
        target.ranges, target.characters, target.voices, strict=True
    ):
        close = buffer.index(b">", end) + 1
        documents.append(SpeakDocument(buffer[begin:close].decode(), line, characters, voices))
    for start, _ in declarations:
        offset = len(_PREFIX) + len(text[:start].encode("utf-8"))
        if any(begin < offset < end for begin, end, _ in target.ranges):
            raise InputError(
                "ssml",
                "An XML declaration (<?xml ...?>) may only come before a <speak> document.",
                f"{origin}line {_line(text, start)}",
            )
    if not documents:
        raise InputError("ssml", "No <speak> document found.", origin.rstrip(", ") or None)
    if single and len(documents) > 1:
        raise InputError(
            "ssml",
            "Each SSML input must be exactly one <speak> document.",
            f"{origin}line {documents[1].line}",
        )
    return documents


def _line(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _syntax_error(exc: ParseError, text: str, origin: str) -> InputError:
    line, column = exc.position
    line -= 1  # the wrapper's own line
    last = text.count("\n") + 1
    reason = expat.ErrorString(exc.code)
    if exc.code == _UNDEFINED_ENTITY:
        reason += (
            " (only &amp; &lt; &gt; &quot; &apos; and &#...; character references are allowed)"
        )
    if line > last:
        return InputError(
            "ssml",
            "The SSML ends before all its elements are closed.",
            f"{origin}end",
        )
    return InputError(
        "ssml",
        f"The SSML is not well-formed: {reason} at line {line}, column {column + 1}.",
        f"{origin}line {max(line, 1)}, column {column + 1}",
    )


class _Target:
    """Parser target: checks each document's root and records ranges, voices and text."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.expat: expat.XMLParserType | None = None
        self.depth = 0
        self.ranges: list[tuple[int, int, int]] = []
        self.characters: list[int] = []
        self.voices: list[tuple[tuple[str, int], ...]] = []
        self._begin = (0, 0)
        self._text: list[str] = []
        self._voices: list[tuple[str, int]] = []

    def _where(self) -> str:
        assert self.expat is not None
        return f"{self.origin}line {max(self.expat.CurrentLineNumber - 1, 1)}"

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > 2:
            self._check_namespaces(tag, attrs)
        if self.depth == 2:
            self._check_root(tag, attrs)
            assert self.expat is not None
            self._begin = (self.expat.CurrentByteIndex, self.expat.CurrentLineNumber - 1)
            self._text, self._voices = [], []
        elif tag == _VOICE:
            name = attrs.get("name", "").strip()
            if not name:
                raise InputError(
                    "ssml",
                    '<voice> needs a name attribute, e.g. name="en-US-AvaNeural".',
                    self._where(),
                )
            self._voices.append((name, self.expat.CurrentLineNumber - 1))  # type: ignore[union-attr]

    def _check_namespaces(self, tag: str, attrs: dict[str, str]) -> None:
        """Only SSML and its Azure extensions: no XInclude, no foreign markup."""
        for name in (tag, *attrs):
            namespace, _, local = name[1:].rpartition("}") if name[:1] == "{" else ("", "", name)
            if name is not tag and namespace in ("", _XML_NAMESPACE):
                continue  # plain attributes and xml:lang / xml:space / ...
            if namespace in _ALLOWED_NAMESPACES:
                continue
            what = f"<{local}>" if name is tag else f"the attribute {local}"
            hint = " (XInclude)" if "xinclude" in namespace.lower() else ""
            raise InputError(
                "ssml",
                f"{what} is not SSML{hint}: only elements of the SSML namespace and Azure's "
                "mstts extensions are allowed. Remove it; nothing is included or fetched.",
                self._where(),
            )

    def _check_root(self, tag: str, attrs: dict[str, str]) -> None:
        where = self._where()
        number = len(self.ranges) + 1
        if tag == "speak":
            raise InputError(
                "ssml",
                f'<speak> must declare xmlns="{SSML_NAMESPACE}" (speak document {number}).',
                where,
            )
        if tag != _SPEAK:
            local = tag.rpartition("}")[2]
            raise InputError(
                "ssml", f"Each SSML document must be a <speak> element, not <{local}>.", where
            )
        if attrs.get("version") != "1.0":
            raise InputError(
                "ssml", f'<speak> needs version="1.0" (speak document {number}).', where
            )
        lang = attrs.get(_LANG, "")
        if not _LOCALE.match(lang):
            raise InputError(
                "ssml",
                f'<speak> needs xml:lang with a locale such as "en-US" (speak document {number}).',
                where,
            )

    def end(self, tag: str) -> None:
        if self.depth == 2:
            number = len(self.ranges) + 1
            if not self._voices:
                raise InputError(
                    "ssml",
                    f"Speak document {number} has no <voice> element; the service needs one: "
                    'wrap the text in <voice name="...">.',
                    f"{self.origin}line {self._begin[1]}",
                )
            assert self.expat is not None
            self.ranges.append((self._begin[0], self.expat.CurrentByteIndex, self._begin[1]))
            self.characters.append(len(" ".join("".join(self._text).split())))
            self.voices.append(tuple(self._voices))
        self.depth -= 1

    def data(self, data: str) -> None:
        if self.depth <= 2 and data.strip():
            # Text arrives buffered: the parser is at its end, so count back to its start.
            assert self.expat is not None
            line = self.expat.CurrentLineNumber - 1 - data.lstrip().count("\n")
            where = f"{self.origin}line {max(line, 1)}"
            if self.depth == 1:
                raise InputError("ssml", "There is text outside the <speak> documents.", where)
            raise InputError("ssml", 'Text must be inside a <voice name="..."> element.', where)
        if self.depth >= 2:
            self._text.append(data)

    def close(self) -> None:
        return None


# --- voice names and prosody values (also the batch API's synthesisConfig values) -------

_VOICE_NAME = re.compile(
    r"^[a-z]{2,3}(?:-[A-Z][a-z]{3})?-[A-Z]{2}(?:-[a-z]+)?-[A-Za-z][A-Za-z0-9]*(?::[A-Za-z0-9]+)?$"
    r"|^Microsoft Server Speech Text to Speech Voice "
    r"\([a-z]{2,3}(?:-[A-Za-z0-9]+)+, [A-Za-z0-9:]+\)$"
)
_NUMBER = r"\d+(?:\.\d+)?"
_RATE = re.compile(
    rf"^(?:(?P<pct>[+-]?{_NUMBER})%|(?P<mul>{_NUMBER})|x-slow|slow|medium|fast|x-fast|default)$"
)
_PITCH = re.compile(rf"^(?:[+-]?{_NUMBER}(?:[Hh][Zz]|st|%)|x-low|low|medium|high|x-high|default)$")
_VOLUME = re.compile(
    rf"^(?:(?P<pct>[+-]?{_NUMBER})%?|silent|x-soft|soft|medium|loud|x-loud|default)$"
)
_STYLE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
ROLES = ("Girl", "Boy", "YoungAdultFemale", "YoungAdultMale", "OlderAdultFemale", "OlderAdultMale",
          "SeniorFemale", "SeniorMale")  # fmt: skip


def check_voice(value: str, code: str, where: str) -> str:
    if not _VOICE_NAME.match(value):
        raise InputError(
            code,
            f"{value[:100]!r} is not an Azure voice name: use locale-Name, e.g. "
            "en-US-AvaMultilingualNeural or de-DE-Seraphina:DragonHDLatestNeural.",
            where,
        )
    return value


def check_rate(value: str, code: str, where: str) -> str:
    match = _RATE.match(value)
    ok = bool(match)
    if match and match["pct"] is not None:
        ok = -50 <= float(match["pct"]) <= 100
    elif match and match["mul"] is not None:
        ok = 0.5 <= float(match["mul"]) <= 2
    if not ok:
        raise InputError(
            code,
            f"rate {value[:40]!r} is not a speaking rate: use a percentage from -50% to +100% "
            "(e.g. +10%), a multiplier from 0.5 to 2, or x-slow, slow, medium, fast, x-fast.",
            where,
        )
    return value


def check_pitch(value: str, code: str, where: str) -> str:
    if not _PITCH.match(value):
        raise InputError(
            code,
            f"pitch {value[:40]!r} is not a pitch: use e.g. +2st, -10%, +50Hz, 600Hz, "
            "or x-low, low, medium, high, x-high.",
            where,
        )
    return value


def check_style(value: str, code: str, where: str) -> str:
    if not _STYLE.match(value):
        raise InputError(
            code, f"style {value[:40]!r} is not a style name: use e.g. cheerful or sad.", where
        )
    return value


def check_volume(value: str, code: str, where: str) -> str:
    match = _VOLUME.match(value)
    if not match or (match["pct"] is not None and not -100 <= float(match["pct"]) <= 100):
        raise InputError(
            code,
            f"volume {value[:40]!r} is not a volume: use 0 to 100, a change such as +10% or -20, "
            "or silent, x-soft, soft, medium, loud, x-loud.",
            where,
        )
    return value
