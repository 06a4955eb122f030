"""`python -m speechdrop` as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from devtools.localstack import REPO_ROOT


def test_python_m_speechdrop(stack):
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SPEECH", "JOBS_TABLE"))
    }
    env.update(SPEECH_ENDPOINT=stack.emulator.endpoint, SPEECH_KEY=stack.emulator.key)

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "speechdrop", *argv],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    shown = run("--help")
    assert shown.returncode == 0
    for command in ("voices", "submit", "get", "list", "delete", "jobs"):
        assert command in shown.stdout
    voices = run("voices", "--json", "--locale", "fr-FR")
    assert voices.returncode == 0, voices.stderr
    assert {voice["Locale"] for voice in json.loads(voices.stdout)} == {"fr-FR"}
    assert stack.emulator.key not in voices.stdout + voices.stderr
