"""Text handling for dropped files: decoding bytes, finding paragraphs, splitting long ones.

Decoding (`decode`)
    UTF-8 with or without a byte order mark, or UTF-16 LE/BE *with* a byte order mark.
    Everything else is an ``encoding`` `InputError` that names the expected encodings and
    the first bad byte as ``byte N (line L)`` (N is a 0-based offset into the file):
    invalid UTF-8, UTF-16 without a BOM, UTF-32, a BOM in the middle of the text, NUL
    bytes, and control characters other than tab, line feed, carriage return and form
    feed (C0, DEL and C1), plus the non-characters U+FFFE and U+FFFF.

Paragraphs (`paragraphs`): the hard-wrap heuristic
    Line breaks are CR, LF, CRLF and U+2028; form feed and U+2029 end a block like a
    blank line does.

    * A file without blank lines keeps the Long Audio convention: every line is a
      paragraph.
    * A file with blank lines is looked at for hard wrapping. The wrap width W is the
      95th percentile of the lengths of lines that are followed by another line in the
      same block (a block's last line is usually short, so it does not count). Only if
      40 <= W <= 132 is the file treated as hard-wrapped (wider "lines" are paragraphs
      in their own right; narrower ones are verse, lists or dialogue), and only if at
      least a quarter of the lines that follow another line in their block start with a
      lower-case letter (when any start with a cased letter): wrapped prose continues
      mid-sentence, while verse of prose-like width capitalises every line.
    * In a hard-wrapped file, a line is joined to the next line of its block (with one
      space) when the break looks like a wrap: the next line is not a list item
      (``-``, ``*``, ``•``, ``1.``, ``a)``, ``iv.`` ...) and is not indented further,
      and either the next line's first word would not have fitted in W after this line
      (what a greedy wrapper does), or this line is at least 70 % of W and does not end
      a sentence. Short lines (headings, verse, list items, sign-offs) therefore stay
      paragraphs of their own; blank lines always separate paragraphs.
    * Hyphenated wraps ("extra-" + "ordinary") are joined with a space, not de-hyphenated.

    Whitespace in a paragraph is collapsed to single spaces (no-break spaces are kept)
    and empty paragraphs are dropped.

Splitting (`split_spans`, `split_paragraph`)
    A normalised paragraph longer than the limit is cut at the last sentence end that
    fits, else the last clause boundary (, ; : dashes), else the last space - never inside
    a word. A "word" longer than the limit is a ``size`` `InputError`. Cuts are at single
    spaces, which are dropped, so joining the pieces with one space gives the paragraph
    back. The one exception is CJK text: after 。！？ (or ，、；： as clause boundaries)
    a cut may fall where there is no space, and those pieces join with no separator.
    Everything is linear in the text's length.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from shared.errors import InputError

__all__ = [
    "BAD_CHARACTERS",
    "Paragraph",
    "decode",
    "normalise_whitespace",
    "paragraphs",
    "position",
    "split_paragraph",
    "split_spans",
]

#: Characters a text must not contain (checked on decoded text and on JSON strings).
BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff\ud800-\udfff]")

_EXPECTED = (
    "Save the file as UTF-8 (with or without a byte order mark) or UTF-16 with a byte order mark."
)


def decode(data: bytes) -> str:
    """The text of a dropped file, or an ``encoding`` InputError saying where it went wrong."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise InputError(
            "encoding",
            f"The file is UTF-32, which is not supported. {_EXPECTED}",
            "byte 0 (line 1)",
        )
    if data.startswith(codecs.BOM_UTF8):
        encoding, bom = "utf-8", 3
    elif data.startswith(codecs.BOM_UTF16_LE):
        encoding, bom = "utf-16-le", 2
    elif data.startswith(codecs.BOM_UTF16_BE):
        encoding, bom = "utf-16-be", 2
    else:
        encoding, bom = "utf-8", 0
    try:
        text = data[bom:].decode(encoding)
    except UnicodeDecodeError as exc:
        offset = bom + exc.start
        prefix = data[bom:offset].decode(encoding, errors="replace")
        name = "UTF-8" if encoding == "utf-8" else f"UTF-16 ({encoding[-2:].upper()})"
        hint = ""
        if encoding == "utf-8":
            hint = " It may be in a legacy encoding such as Windows-1252 or Latin-1."
        raise InputError(
            "encoding",
            f"The file is not valid {name}: {exc.reason} at byte {offset}.{hint} {_EXPECTED}",
            f"byte {offset} (line {_line_at(prefix, len(prefix))})",
        ) from None
    bad = BAD_CHARACTERS.search(text)
    if bad:
        index = bad.start()
        offset = bom + len(text[:index].encode(encoding))
        where = f"byte {offset} (line {_line_at(text, index)})"
        char = bad.group()
        if char == "\ufeff":
            problem = "a byte order mark in the middle of the text (files joined together?)"
        elif char == "\x00" and encoding == "utf-8" and _looks_like_utf16(data):
            problem = "NUL bytes: it looks like UTF-16 without a byte order mark"
        elif char == "\x00":
            problem = "a NUL byte: is this a binary file?"
        else:
            problem = f"the control character U+{ord(char):04X}"
        raise InputError(
            "encoding", f"The file contains {problem} at byte {offset}. {_EXPECTED}", where
        )
    return text


def _looks_like_utf16(data: bytes) -> bool:
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) > len(sample) // 4 and min(even, odd) < max(even, odd) // 4


def _line_at(text: str, index: int) -> int:
    """1-based line of text[index] (CR, LF and CRLF all end a line)."""
    head = text[:index]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1


def position(text: str, index: int) -> str:
    """``line L`` of a character index, for error messages."""
    return f"line {_line_at(text, index)}"


@dataclass(frozen=True)
class Paragraph:
    text: str  # normalised: single spaces, no leading or trailing space, never empty
    line: int  # 1-based line where it starts


_SPACE_RUNS = re.compile(r"[^\S\xa0\u2007\u202f]+")
_BLOCK_BREAK = re.compile("[\f\u2029]")
_LIST_ITEM = re.compile(r"(?:[-*•‣◦·–—]|\(?(?:\d{1,3}|[A-Za-z]|[ivxlcdm]{2,6})[.)])(?:\s|$)")
_SENTENCE_END_CHARS = tuple(".!?…:;\"'”’»)")
_MIN_WRAP, _MAX_WRAP = 40, 132
_MIN_LOWER_SHARE = 0.25


def normalise_whitespace(text: str) -> str:
    """Runs of whitespace (not no-break spaces) become one space; ends are trimmed."""
    if "\xa0" in text or "\u2007" in text or "\u202f" in text:
        return _SPACE_RUNS.sub(" ", text).strip(" ")
    return " ".join(text.split())  # the same result, several times faster


def paragraphs(text: str) -> list[Paragraph]:
    """The paragraphs of a plain-text file (see the module docstring for the heuristic)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(text.split("\n"), 1):
        for k, segment in enumerate(
            _BLOCK_BREAK.split(line) if "\f" in line or "\u2029" in line else [line]
        ):
            segment = segment.rstrip()
            if k or not segment.strip():
                if blocks[-1]:
                    blocks.append([])
            if segment.strip():
                blocks[-1].append((number, segment.expandtabs(4)))
    blocks = [block for block in blocks if block]
    width = _wrap_width(blocks) if len(blocks) > 1 else None
    result: list[Paragraph] = []
    for block in blocks:
        start = 0
        for i in range(1, len(block) + 1):
            if i < len(block) and width and _continues(block[i - 1][1], block[i][1], width):
                continue
            joined = normalise_whitespace(" ".join(line for _, line in block[start:i]))
            if joined.strip():
                result.append(Paragraph(joined, block[start][0]))
            start = i
    return result


def _wrap_width(blocks: list[list[tuple[int, str]]]) -> int | None:
    """The file's wrap width, or None when it does not look hard-wrapped."""
    lengths = sorted(len(line) for block in blocks for _, line in block[:-1])
    if not lengths:
        return None
    width = lengths[int(0.95 * (len(lengths) - 1))]
    if not _MIN_WRAP <= width <= _MAX_WRAP:
        return None
    # Verse has the widths of prose but starts each line with a capital; wrapped prose
    # continues mid-sentence, so many of its lines start with a lower-case letter.
    starts = [line.lstrip()[0] for block in blocks for _, line in block[1:]]
    cased = [c for c in starts if c.islower() or c.isupper()]
    if cased and sum(c.islower() for c in cased) < _MIN_LOWER_SHARE * len(cased):
        return None
    return width


def _continues(line: str, following: str, width: int) -> bool:
    """Whether the break between two lines of a block is a soft wrap."""
    body = following.lstrip()
    head = line.lstrip()
    if len(following) - len(body) > len(line) - len(head) and not _LIST_ITEM.match(head):
        return False  # indented further: a new paragraph, verse or quote (not a hanging indent)
    if _LIST_ITEM.match(body):
        return False
    if len(line) + 1 + len(body.split(None, 1)[0]) > width:
        return True
    return len(line) >= 0.7 * width and not line.endswith(_SENTENCE_END_CHARS)


_CLOSERS = "\"'”’»)\\]」』）》〉"
_CJK_MARKS = "。！？．，、；："
# One leading character class each, so the regex engine can skip ahead quickly; whether
# a match is usable (a space after Latin punctuation, spaces around a hyphen) is checked
# in `_last_cut`.
_SENTENCE = re.compile(rf"[.!?…‼⁇⁈⁉。！？．][{_CLOSERS}]*")
_CLAUSE = re.compile(rf"[,;:—–\-，、；：][{_CLOSERS}]*")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st sr jr vs etc e.g i.e no fig vol p pp cf approx dept inc ltd co".split()
)


def split_spans(text: str, limit: int, where: str = "") -> list[tuple[int, int]]:
    """(start, end) pieces of a normalised paragraph, each at most `limit` characters."""
    spans: list[tuple[int, int]] = []
    start, length = 0, len(text)
    while length - start > limit:
        window = text[start : start + limit + 1]
        cut = _last_cut(window, _SENTENCE, limit, sentence=True)
        if cut is None:
            cut = _last_cut(window, _CLAUSE, limit)
        if cut is None:
            space = window.rfind(" ", 1)
            cut = space if space > 0 else None
        if cut is None:
            raise InputError(
                "size",
                f"The text has a word of more than {limit} characters with no space in it; "
                f"no input may be longer than {limit} characters. Add spaces or line breaks.",
                where or None,
            )
        spans.append((start, start + cut))
        start += cut + (1 if text[start + cut] == " " else 0)
    spans.append((start, length))
    return spans


def _last_cut(
    window: str, pattern: re.Pattern[str], limit: int, sentence: bool = False
) -> int | None:
    """End of the last valid match of `pattern` that leaves a piece of at most `limit`.

    Searches growing tails of the window, so the usual case (a boundary near the end)
    costs a few hundred characters, not the whole window.
    """
    size = 256
    while True:
        begin = max(0, len(window) - size)
        for match in reversed(list(pattern.finditer(window, begin))):
            cut, mark = match.end(), match.group()[0]
            if cut > limit or not _usable(window, match.start(), cut, mark, sentence):
                continue
            return cut
        if begin == 0:
            return None
        size *= 4


def _usable(window: str, start: int, cut: int, mark: str, sentence: bool) -> bool:
    if mark in _CJK_MARKS:
        return True
    if window[cut : cut + 1] != " ":
        return False  # Latin punctuation ends a sentence or clause only before a space
    if mark == "-":
        return start > 0 and window[start - 1] == " "  # a spaced hyphen used as a dash
    return not (sentence and mark == "." and _is_abbreviation(window, start))


def _is_abbreviation(window: str, dot: int) -> bool:
    word = window[window.rfind(" ", 0, dot) + 1 : dot].lstrip("\"'“‘«([").lower()
    return (len(word) == 1 and word.isalpha()) or word in _ABBREVIATIONS


def split_paragraph(text: str, limit: int, where: str = "") -> list[str]:
    """The pieces of a normalised paragraph (see `split_spans`)."""
    return [text[start:end] for start, end in split_spans(text, limit, where)]
