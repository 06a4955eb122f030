"""The local stack: real Azurite and the local batch synthesis emulator, on free ports.

Both run as child processes and are stopped (with their whole process group) when the
context manager exits, also on Ctrl-C or an exception. Used by the integration tests, the
demo, the soak and the benchmarks.

Azurite runs with an account of its own whose key is random per run, so a secret scan of
the logs of a run has a real key to look for (the public development key is used only
where `UseDevelopmentStorage=true` is configured, see shared/config.py).
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["Azurite", "Emulator", "app_settings", "azurite", "emulator", "free_port", "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parent.parent
AZURITE_JS = REPO_ROOT / "node_modules" / "azurite" / "dist" / "src" / "azurite.js"
ACCOUNT_NAME = "speechdrop"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Azurite:
    blob_port: int
    queue_port: int
    table_port: int
    account_name: str
    account_key: str

    @property
    def blob_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.blob_port}/{self.account_name}"

    @property
    def table_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.table_port}/{self.account_name}"

    @property
    def queue_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.queue_port}/{self.account_name}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={self.account_name};"
            f"AccountKey={self.account_key};BlobEndpoint={self.blob_endpoint};"
            f"QueueEndpoint={self.queue_endpoint};TableEndpoint={self.table_endpoint};"
        )


@dataclass(frozen=True)
class Emulator:
    port: int
    key: str | None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def app_settings(storage: Azurite, speech: Emulator, **settings: str) -> dict[str, str]:
    """The app settings that point speechdrop at this stack (plus any others given)."""
    return {
        "SPEECHDROP_STORAGE": storage.connection_string,
        "SPEECH_ENDPOINT": speech.endpoint,
        "SPEECH_KEY": speech.key or "",
        **settings,
    }


@contextmanager
def azurite(log_dir: Path | None = None) -> Iterator[Azurite]:
    """Start Azurite (blob, queue, table; in memory) and stop it on exit."""
    if not AZURITE_JS.exists():
        raise RuntimeError(f"Azurite is not installed ({AZURITE_JS}); run `npm ci` first.")
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js is needed to run Azurite; install node.")
    key = base64.b64encode(secrets.token_bytes(64)).decode()
    instance = Azurite(free_port(), free_port(), free_port(), ACCOUNT_NAME, key)
    command = [
        node,
        str(AZURITE_JS),
        "--silent",
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--inMemoryPersistence",
        "--blobHost",
        "127.0.0.1",
        "--queueHost",
        "127.0.0.1",
        "--tableHost",
        "127.0.0.1",
        "--blobPort",
        str(instance.blob_port),
        "--queuePort",
        str(instance.queue_port),
        "--tablePort",
        str(instance.table_port),
    ]
    env = {**os.environ, "AZURITE_ACCOUNTS": f"{ACCOUNT_NAME}:{key}"}
    with _child(command, env, log_dir, "azurite.log") as process:
        for port in (instance.blob_port, instance.queue_port, instance.table_port):
            _wait_for_port(port, process, "Azurite")
        yield instance


@contextmanager
def emulator(
    key: str | None = None,
    extra_args: Sequence[str] = (),
    log_dir: Path | None = None,
) -> Iterator[Emulator]:
    """Start `python -m emulator` on a free port and stop it on exit."""
    instance = Emulator(free_port(), key)
    command = [sys.executable, "-m", "emulator", "--port", str(instance.port), *extra_args]
    if key:
        command += ["--key", key]
    with _child(command, dict(os.environ), log_dir, "emulator.log") as process:
        _wait_for_port(instance.port, process, "the emulator")
        _wait_for_http(f"{instance.endpoint}/emulator/stats", process)
        yield instance


@contextmanager
def _child(command: list[str], env: dict[str, str], log_dir: Path | None, log_name: str):
    log = open(log_dir / log_name, "ab") if log_dir else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        _stop(process)
        if log_dir:
            log.close()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _wait_for_port(port: int, process: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not open port {port} within {timeout:.0f} s")


def _wait_for_http(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the emulator did not answer {url} within {timeout:.0f} s")
