"""The --wait loop with a scripted service: throttled polls, and progress on a terminal."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from shared.errors import ThrottledError
from speechdrop.cli import Context
from speechdrop.submit import _File, _Job, _wait


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class ThrottledTwice:
    def __init__(self) -> None:
        self.calls = 0

    def get(self, job_id: str) -> dict:
        self.calls += 1
        if self.calls <= 2:
            raise ThrottledError("the speech service is throttling requests (get)", 0.01)
        return {"id": job_id, "status": "Succeeded", "properties": {}}

    def close(self) -> None:
        pass


def test_throttled_polls_are_retried_and_progress_rewrites_one_line(tmp_path):
    err = Terminal()
    ctx = Context(argparse.Namespace(), {}, io.StringIO(), err)
    ctx._speech = ThrottledTwice()  # type: ignore[assignment]
    job = _Job("cli-a-1", 0)
    _wait(ctx, [_File("a.txt", "a.txt", {}, [job])], Path(tmp_path), 0.01, None)
    assert job.status == "Succeeded"
    text = err.getvalue()
    assert text.count("polling again") == 2
    assert "\rwaiting: 1/1 jobs done" in text and text.endswith("\n")
