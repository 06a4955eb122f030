"""`python -m bench --quick` produces every figure (numbers are printed, never judged)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from devtools.localstack import REPO_ROOT

pytestmark = pytest.mark.integration

FIGURE_ROWS = (
    ("1 requests/file", "total (all ops)"),
    ("2 added latency", "p50"),
    ("2 added latency", "p95"),
    ("3 throttling", "total time"),
    ("3 throttling", "429s -> failed files"),
    ("4 memory", "peak RSS"),
    ("5 splitting", "MB text"),
)


@pytest.mark.timeout(120)
def test_quick_bench_produces_every_figure():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    header = next(line for line in lines if line.startswith("figure "))
    start, end = header.index("speechdrop"), header.index("goal")
    for figure, metric in FIGURE_ROWS:
        row = next((line for line in lines if line.startswith(figure) and metric in line), None)
        assert row is not None, f"no {figure} / {metric} row in:\n{done.stdout}"
        value = row[start:end].strip()
        assert value not in ("", "n/a"), f"{figure} / {metric} was not measured:\n{row}"
    assert "wall time" in done.stdout
