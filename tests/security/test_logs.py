"""Log lines cannot be forged through file names."""

from __future__ import annotations

import pytest

from tests.corpus.cases import TEXT
from tests.security.scan import capture_all_logs

pytestmark = pytest.mark.integration


def test_names_with_line_breaks_do_not_forge_log_lines(make_app):
    app = make_app()
    name = "x\n2026-01-01 00:00:00 INFO shared.pipeline deliver: payroll.txt -> ok\r.txt"
    app.drop(name, TEXT.encode())
    with capture_all_logs() as records:
        app.runner.deliver_new_events()
        app.runner.tick()
    assert app.runner.get(f"jobs/{name}")[1]["error"]["code"] == "name"
    ours = [r.getMessage() for r in records if r.name.startswith(("shared", "function_app"))]
    assert ours, "the rejection is logged"
    assert not [m for m in ours if "\n" in m or "\r" in m]
