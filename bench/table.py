"""The result table: one row per figure, the goal and the baseline beside each."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Row", "fmt", "render"]


@dataclass
class Row:
    figure: str  # "1 requests", "2 latency", ...
    metric: str
    value: str  # speechdrop's figure ("" when it could not be produced)
    goal: str = "-"
    baseline: str = "-"
    note: str = ""


def fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}{unit}"


def render(rows: list[Row]) -> str:
    header = ("figure", "metric", "speechdrop", "goal", "baseline (sample)", "note")
    cells = [header] + [(r.figure, r.metric, r.value, r.goal, r.baseline, r.note) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header) - 1)]
    lines = []
    for index, row in enumerate(cells):
        parts = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)]
        lines.append("  ".join(parts) + "  " + row[-1])
        if index == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 4)
    return "\n".join(line.rstrip() for line in lines)
