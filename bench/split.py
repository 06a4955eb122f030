"""Figure 5: time to turn a 10 MB plain-text file into job requests
(`shared.documents.build_document`), median of a few runs, for two layouts: one paragraph
per line (the Long Audio convention) and a hard-wrapped e-text (Project Gutenberg style:
72-column lines, blank lines between paragraphs, which speechdrop unwraps).

The baseline is the split glue people write around the sample: split lines, cut each at
sentence ends with a regex, pack greedily into 3,000-character inputs and 2 MB bodies
measured with json.dumps. It does far less checking; it is there for scale.
"""

from __future__ import annotations

import json
import random
import re
import statistics
import textwrap
import time

from bench.common import prose_file
from bench.table import Row, fmt
from shared import documents
from shared.config import Settings

__all__ = ["split"]

GOAL_S = 1.0
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def hard_wrapped(text: str) -> str:
    paragraphs = [line for line in text.splitlines() if line.strip()]
    return "\n\n".join(textwrap.fill(p, 72) for p in paragraphs) + "\n"


def naive_split(text: str, max_chars: int = 3000, max_body: int = 2_000_000) -> list[dict]:
    inputs: list[str] = []
    for line in text.splitlines():
        piece = ""
        for sentence in _SENTENCE_END.split(line.strip()):
            if piece and len(piece) + 1 + len(sentence) > max_chars:
                inputs.append(piece)
                piece = ""
            piece = f"{piece} {sentence}".strip()
        if piece:
            inputs.append(piece)
    bodies, current, size = [], [], 0
    for item in inputs:
        cost = len(json.dumps({"content": item})) + 2
        if current and (size + cost > max_body or len(current) == 10_000):
            bodies.append({"inputs": current})
            current, size = [], 0
        current.append({"content": item})
        size += cost
    if current:
        bodies.append({"inputs": current})
    return bodies


def _median_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def split(size_bytes: int = 10_000_000, repeat: int = 3) -> list[Row]:
    settings = Settings.from_env(
        {"SPEECHDROP_STORAGE": "UseDevelopmentStorage=true", "SPEECH_ENDPOINT": "http://bench"}
    )
    text = prose_file(random.Random(5), size_bytes)
    rows = []
    for layout, body in (("lines", text), ("hard-wrapped", hard_wrapped(text))):
        data = body.encode()[:size_bytes]
        data = data[: data.rfind(b"\n") + 1]
        document = documents.build_document("book.txt", data, {}, settings, None)
        ours = _median_time(
            lambda d=data: documents.build_document("book.txt", d, {}, settings, None), repeat
        )
        base = _median_time(lambda d=data: naive_split(d.decode()), repeat)
        rows.append(
            Row(
                "5 splitting",
                f"{len(data) / 1e6:.1f} MB text, {layout}",
                fmt(ours, " s"),
                f"<= {GOAL_S:g} s",
                fmt(base, " s"),
                f"{document.input_count} inputs, {len(document.jobs)} job(s); median of {repeat}",
            )
        )
    return rows
