"""`make demo` itself, on the shipped samples: the newcomer's first five minutes."""

import json
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_make_demo_on_the_samples(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        ["make", "--no-print-directory", "demo", f"OUT={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout
    for name in ("alice-chapter-1.txt", "welcome-multivoice.ssml", "release-notes.json"):
        manifest = json.loads((out / name / "manifest.json").read_text())
        assert manifest["status"] == "delivered", name
        assert (out / name / manifest["audio"]["files"][0]).stat().st_size > 10_000
        assert f"{name} " in table and "delivered" in table
    error = json.loads((out / "broken-encoding.txt" / "error.json").read_text())
    assert error["error"]["code"] == "encoding"
    assert "broken-encoding.txt failed (encoding)" in table
    assert "files settled" in result.stderr
