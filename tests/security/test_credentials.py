"""When the speech service refuses the app's credentials, files wait; nothing leaks."""

from __future__ import annotations

import logging

import pytest

from tests.corpus.cases import TEXT
from tests.security.scan import capture_all_logs

pytestmark = pytest.mark.integration


def test_wrong_speech_key_keeps_file_queued_and_says_so(make_app):
    app = make_app(SPEECH_KEY="wrong-key-0000")
    app.drop("queued.txt", TEXT.encode())
    with capture_all_logs() as records:
        app.runner.deliver_new_events()  # the blob trigger must not raise
        app.runner.tick()
    code, status = app.runner.get("jobs/queued.txt")
    assert code == 200 and status["state"] == "accepted"  # queued, not failed
    messages = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    assert any("refused our credentials" in m for m in messages)
    assert not any(r.exc_info for r in records)  # an expected condition, not a crash
