"""Decoding, paragraphs (the hard-wrap heuristic) and splitting: shared.text_split."""

from __future__ import annotations

import codecs
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.errors import InputError
from shared.text_split import decode, normalise_whitespace, paragraphs, split_paragraph, split_spans

# --- decoding ---------------------------------------------------------------------------

GOOD_ENCODINGS = [
    ("utf8", "Grüße, 世界 😀\n".encode()),
    ("utf8-bom", codecs.BOM_UTF8 + "Grüße\n".encode()),
    ("utf16le-bom", codecs.BOM_UTF16_LE + "Grüße 😀\n".encode("utf-16-le")),
    ("utf16be-bom", codecs.BOM_UTF16_BE + "Grüße 😀\n".encode("utf-16-be")),
    ("tabs-cr-ff", b"a\tb\r\nc\fd\re"),
]


@pytest.mark.parametrize(("label", "data"), GOOD_ENCODINGS, ids=[c[0] for c in GOOD_ENCODINGS])
def test_decode_accepts(label: str, data: bytes) -> None:
    text = decode(data)
    assert not text.startswith("\ufeff")
    assert text.strip()


BAD_ENCODINGS = [
    ("latin1", "line one\ncaf\xe9\n".encode("latin-1"), "byte 12 (line 2)", "not valid UTF-8"),
    ("utf16le-no-bom", "Hello there\n".encode("utf-16-le"), "byte 1 (line 1)", "UTF-16 without"),
    ("utf16be-no-bom", "Hello there".encode("utf-16-be"), "byte 0 (line 1)", "UTF-16 without"),
    ("bom-in-middle", b"one\n" + codecs.BOM_UTF8 + b"two", "byte 4 (line 2)", "byte order mark"),
    ("nul-in-utf8", b"abc\n\ndef\x00ghi", "byte 8 (line 3)", "NUL byte"),
    ("binary-png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "byte 0 (line 1)", "not valid UTF-8"),
    ("control-char", b"hello\x07world", "byte 5 (line 1)", "U+0007"),
    ("escape-char", b"a\n\x1b[31mred", "byte 2 (line 2)", "U+001B"),
    ("c1-control", "a\u0085b".encode(), "byte 1 (line 1)", "U+0085"),
    ("truncated-utf8", "ok é".encode()[:-1], "byte 3 (line 1)", "not valid UTF-8"),
    ("utf32", codecs.BOM_UTF32_LE + "hi".encode("utf-32-le"), "byte 0", "UTF-32"),
    ("utf16-odd-length", codecs.BOM_UTF16_LE + b"a\x00b", "byte 4 (line 1)", "UTF-16"),
    ("utf16-lone-surrogate", codecs.BOM_UTF16_LE + b"a\x00\x00\xd8b\x00", "byte 4", "UTF-16"),
    ("utf16-control", codecs.BOM_UTF16_BE + "x\n\x01".encode("utf-16-be"), "byte 6", "U+0001"),
    ("surrogate-in-utf8", b"ab\xed\xa0\x80", "byte 2", "not valid UTF-8"),
]


@pytest.mark.parametrize(
    ("label", "data", "where", "message"), BAD_ENCODINGS, ids=[c[0] for c in BAD_ENCODINGS]
)
def test_decode_rejects(label: str, data: bytes, where: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        decode(data)
    assert caught.value.code == "encoding"
    assert caught.value.where is not None and caught.value.where.startswith(where)
    assert message in caught.value.message
    assert "UTF-8" in caught.value.message  # says what was expected


# --- paragraphs -------------------------------------------------------------------------

GUTENBERG = """\
CHAPTER I

It is a truth universally acknowledged, that a single man in possession
of a good fortune, must be in want of a wife.

However little known the feelings or views of such a man may be on his
first entering a neighbourhood, this truth is so well fixed in the minds
of the surrounding families, that he is considered the rightful property
of some one or other of their daughters.

"My dear Mr. Bennet," said his lady to him one day, "have you heard that
Netherfield Park is let at last?"
"""


def texts(text: str) -> list[str]:
    return [p.text for p in paragraphs(text)]


def test_hard_wrapped_paragraphs_are_joined() -> None:
    result = paragraphs(GUTENBERG)
    assert [p.text[:30] for p in result] == [
        "CHAPTER I",
        "It is a truth universally ackn",
        "However little known the feeli",
        '"My dear Mr. Bennet," said his',
    ]
    assert result[1].text.endswith("must be in want of a wife.")
    assert "on his first entering" in result[2].text
    assert [p.line for p in result] == [1, 3, 6, 11]


def test_no_blank_lines_keeps_one_paragraph_per_line() -> None:
    text = (
        "It is a truth universally acknowledged, that a single man in possession\n"
        "of a good fortune, must be in want of a wife.\n"
        "Short line.\n"
    )
    assert texts(text) == [
        "It is a truth universally acknowledged, that a single man in possession",
        "of a good fortune, must be in want of a wife.",
        "Short line.",
    ]


def test_long_lines_with_blank_lines_stay_paragraphs() -> None:
    first = "This paragraph is one long line. " * 8
    second = "So is this one, which is also long enough to not be a wrap. " * 5
    text = f"{first}\n{second}\n\n{first}\n"
    assert texts(text) == [first.strip(), second.strip(), first.strip()]


MIXED = """\
THE POEMS

The following lines were found in an old notebook, together with a great
many other things that need not concern us here, and a short list:

- bread
- milk
- a very long item that goes on and on about the things one might need to
  buy at the market on a Saturday morning
- eggs

    Shall I compare thee to a summer's day?
    Thou art more lovely and more temperate:
    Rough winds do shake the darling buds of May,
    And summer's lease hath all too short a date.

1. First point of the argument, which happens to be long enough that it
wraps onto a second line without any indentation at all, as happens.
2. Second point.

Yours sincerely,
The Editor
"""


def test_mixed_file_keeps_headings_lists_and_verse_separate() -> None:
    assert texts(MIXED) == [
        "THE POEMS",
        "The following lines were found in an old notebook, together with a great many other "
        "things that need not concern us here, and a short list:",
        "- bread",
        "- milk",
        "- a very long item that goes on and on about the things one might need to buy at the "
        "market on a Saturday morning",
        "- eggs",
        "Shall I compare thee to a summer's day?",
        "Thou art more lovely and more temperate:",
        "Rough winds do shake the darling buds of May,",
        "And summer's lease hath all too short a date.",
        "1. First point of the argument, which happens to be long enough that it wraps onto a "
        "second line without any indentation at all, as happens.",
        "2. Second point.",
        "Yours sincerely,",
        "The Editor",
    ]


def test_poem_collection_is_not_joined() -> None:
    poem = "Roses are red,\nViolets are blue,\nSugar is sweet,\nAnd so are you.\n"
    assert len(texts(poem + "\n" + poem)) == 8


SONNET = """\
Shall I compare thee to a summer's day?
Thou art more lovely and more temperate:
Rough winds do shake the darling buds of May,
And summer's lease hath all too short a date;

Sometime too hot the eye of heaven shines,
And often is his gold complexion dimm'd;
And every fair from fair sometime declines,
By chance or nature's changing course untrimm'd;
"""


def test_verse_of_prose_width_is_not_joined() -> None:
    assert len(texts(SONNET)) == 8


def test_whitespace_is_normalised_and_empty_paragraphs_dropped() -> None:
    text = "  a \t  b  \n\n\n   \n\t\nc\u00a0d \r\n\f\n e"
    assert texts(text) == ["a b", "c\u00a0d", "e"]
    assert normalise_whitespace(" x \t\u2003 y ") == "x y"


def test_crlf_and_form_feed() -> None:
    assert texts("one\r\ntwo\rthree\fpage two") == ["one", "two", "three", "page two"]


# --- splitting --------------------------------------------------------------------------


def test_split_prefers_sentences_then_clauses_then_spaces() -> None:
    text = "First sentence here. Second one, with a clause; and more words here"
    assert split_paragraph(text, 30) == [
        "First sentence here.",
        "Second one, with a clause;",
        "and more words here",
    ]
    assert split_paragraph("aaaa bbbb cccc dddd", 10) == ["aaaa bbbb", "cccc dddd"]


def test_split_skips_abbreviations() -> None:
    text = "He met Dr. Watson there. They talked for a long while about it."
    pieces = split_paragraph(text, 40)
    assert pieces[0] == "He met Dr. Watson there."


def test_split_short_text_is_untouched() -> None:
    assert split_paragraph("Hello.", 100) == ["Hello."]


def test_word_longer_than_limit_is_an_error() -> None:
    with pytest.raises(InputError) as caught:
        split_paragraph("ok " + "x" * 120 + " ok", 100, "paragraph 3 (line 9)")
    assert caught.value.code == "size"
    assert caught.value.where == "paragraph 3 (line 9)"


def test_split_cjk_without_spaces() -> None:
    text = "今天天气很好。" * 30  # 210 characters, no spaces
    pieces = split_paragraph(text, 100)
    assert "".join(pieces) == text
    assert all(len(p) <= 100 and p.endswith("。") for p in pieces)


def test_split_two_megabytes() -> None:
    sentence = "The quick brown fox jumps over the lazy dog, again and again. "
    text = normalise_whitespace(sentence * (2_000_000 // len(sentence)))
    pieces = split_paragraph(text, 3000)
    assert " ".join(pieces) == text
    assert max(map(len, pieces)) <= 3000
    assert all(p.endswith(".") for p in pieces)


WORD = st.text(
    alphabet=st.characters(
        exclude_categories=("Cs", "Zs", "Zl", "Zp", "Cc"), exclude_characters="。！？．，、；：\xa0"
    ),
    min_size=1,
    max_size=12,
)
PUNCT = st.sampled_from(["", "", "", ".", ",", "!", "?", ";", ":", '."', "—", "Mr."])


@st.composite
def paragraph_text(draw: st.DrawFn) -> str:
    words = draw(st.lists(st.tuples(WORD, PUNCT), min_size=1, max_size=200))
    return " ".join(word + punct for word, punct in words)


@settings(max_examples=300, deadline=None)
@given(text=paragraph_text(), limit=st.integers(min_value=16, max_value=200))
def test_split_property_reassembles(text: str, limit: int) -> None:
    assert normalise_whitespace(text) == text
    try:
        pieces = split_paragraph(text, limit)
    except InputError:
        assert max(len(w) for w in text.split(" ")) > limit
        return
    assert " ".join(pieces) == text
    assert all(0 < len(p) <= limit for p in pieces)
    assert all(p == p.strip(" ") for p in pieces)


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list("ab 。，！x") + ["字", "😀"]), min_size=1, max_size=400
    ),
    limit=st.integers(min_value=5, max_value=60),
)
def test_split_property_cjk_gaps(text: str, limit: int) -> None:
    text = normalise_whitespace(text)
    if not text:
        return
    try:
        spans = split_spans(text, limit)
    except InputError:
        return
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        gap = text[end:start]
        assert gap == " " or (gap == "" and re.search("[。，！]$", text[:end]))
    assert all(0 < end - start <= limit for start, end in spans)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("ab \t\n\r\f.")), max_size=80),
        min_size=1,
        max_size=30,
    )
)
def test_paragraphs_property(lines: list[str]) -> None:
    text = "\n".join(lines)
    for paragraph in paragraphs(text):
        assert paragraph.text == normalise_whitespace(paragraph.text)
        assert paragraph.text
        assert paragraph.line >= 1
    # Every non-space character survives, in order.
    assert "".join("".join(p.text.split()) for p in paragraphs(text)) == "".join(text.split())
