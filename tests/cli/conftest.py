"""CLI fixtures: real Azurite and the emulator, started once for tests/cli, and `cli`,
which runs `speechdrop.cli.main(argv)` in-process with a clean environment pointing at them
and checks that no key or SAS signature was printed."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from devtools.localstack import Azurite, Emulator, azurite, emulator
from shared.config import SETTING_NAMES, STORAGE_CONNECTION
from speechdrop.cli import main


@dataclass
class Stack:
    azurite: Azurite
    emulator: Emulator

    def faults(self, **settings: Any) -> None:
        response = httpx.post(f"{self.emulator.endpoint}/emulator/faults", json=settings)
        response.raise_for_status()


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("cli-stack-logs")
    fast = ["--rate-limit", "1000", "--queue-delay", "0.2"]
    key = secrets.token_hex(16)
    with emulator(key=key, extra_args=fast, log_dir=logs) as em, azurite(log_dir=logs) as st:
        yield Stack(st, em)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def speech_env(monkeypatch, tmp_path):
    """A clean environment (no setting of the host leaks in), in a scratch folder."""
    import os

    for name in list(os.environ):
        if name in SETTING_NAMES or name.startswith(f"{STORAGE_CONNECTION}__"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.fixture
def cli(stack, speech_env, capsys):
    speech_env.setenv("SPEECH_ENDPOINT", stack.emulator.endpoint)
    speech_env.setenv("SPEECH_KEY", stack.emulator.key)
    speech_env.setenv(STORAGE_CONNECTION, stack.azurite.connection_string)

    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        for secret in (stack.emulator.key, stack.azurite.account_key, "sig="):
            assert secret not in out and secret not in err, "a secret was printed"
        return Result(code, out, err)

    return run
