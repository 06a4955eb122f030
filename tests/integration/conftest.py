"""Integration fixtures: real Azurite and the emulator (started once per session, on free
ports, stopped at the end), and a fresh app per test (its own containers and table)."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from azure.storage.blob import BlobServiceClient, ContainerClient

import function_app
from devtools.localstack import Azurite, Emulator, app_settings, azurite, emulator
from devtools.runner import LocalRunner
from shared import pipeline

_counter = itertools.count()


@dataclass
class Stack:
    azurite: Azurite
    emulator: Emulator
    logs: Path

    def faults(self, **settings) -> None:
        response = httpx.post(f"{self.emulator.endpoint}/emulator/faults", json=settings)
        response.raise_for_status()

    def stats(self) -> dict:
        return httpx.get(f"{self.emulator.endpoint}/emulator/stats").json()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp("stack-logs")
    key = secrets.token_hex(16)
    fast = ["--rate-limit", "1000", "--queue-delay", "0.2"]
    with azurite(log_dir=logs) as storage, emulator(key=key, extra_args=fast, log_dir=logs) as em:
        yield Stack(storage, em, logs)


@dataclass
class App:
    runner: LocalRunner
    blobs: BlobServiceClient
    input: ContainerClient
    output: ContainerClient
    env: dict[str, str]

    def drop(self, name: str, data: bytes, **metadata: str) -> str:
        """Upload an input file; returns its ETag (its version)."""
        blob = self.input.get_blob_client(name)
        return blob.upload_blob(data, overwrite=True, metadata=metadata or None)["etag"]

    def output_json(self, path: str) -> dict:
        import json

        return json.loads(self.output.download_blob(path).readall())

    def output_names(self, folder: str) -> set[str]:
        return {b.name[len(folder) + 1 :] for b in self.output.list_blobs(f"{folder}/")}


@pytest.fixture
def make_app(stack, monkeypatch):
    """Build an app over fresh containers; keyword arguments become app settings."""

    opened: list[BlobServiceClient] = []

    def build(**settings: str) -> App:
        n = next(_counter)
        env = app_settings(
            stack.azurite,
            stack.emulator,
            INPUT_CONTAINER=f"in-{n}",
            OUTPUT_CONTAINER=f"out-{n}",
            JOBS_TABLE=f"jobs{n}",
            POLL_SCHEDULE="*/1 * * * * *",
            DEFAULT_VOICE="en-US-AvaMultilingualNeural",
            **settings,
        )
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        pipeline.reset_default()
        blobs = BlobServiceClient.from_connection_string(stack.azurite.connection_string)
        opened.append(blobs)
        input_container = blobs.create_container(env["INPUT_CONTAINER"])
        runner = LocalRunner(function_app.app, input_container)
        return App(
            runner, blobs, input_container, blobs.get_container_client(env["OUTPUT_CONTAINER"]), env
        )

    yield build
    pipeline.reset_default()
    for client in opened:
        client.close()
    stack.faults(errors={}, fail_job=0, fail_input=0, stuck_job=0, slow_ms=0)
