"""Fixtures for the emulator tests: a running emulator per module, and a small client."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from devtools.localstack import emulator

API = "api-version=2024-04-01"
KEY = "test-key-0123456789"


class Client:
    """Just enough of a batch synthesis client for the tests."""

    def __init__(self, endpoint: str, key: str | None = KEY) -> None:
        self.endpoint = endpoint
        headers = {"Ocp-Apim-Subscription-Key": key} if key else {}
        self.http = httpx.Client(base_url=endpoint, headers=headers, timeout=30)

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"/texttospeech/{path}{sep}{API}"

    def put(self, job_id: str, body: dict, **headers: str) -> httpx.Response:
        return self.http.put(self.url(f"batchsyntheses/{job_id}"), json=body, headers=headers)

    def get(self, job_id: str) -> httpx.Response:
        return self.http.get(self.url(f"batchsyntheses/{job_id}"))

    def delete(self, job_id: str) -> httpx.Response:
        return self.http.delete(self.url(f"batchsyntheses/{job_id}"))

    def wait(self, job_id: str, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.get(job_id)
            assert response.status_code == 200, response.text
            job = response.json()
            if job["status"] in ("Succeeded", "Failed"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish within {timeout} s")

    def faults(self, **settings) -> dict:
        response = self.http.post("/emulator/faults", json=settings)
        assert response.status_code == 200, response.text
        return response.json()


def plain(*texts: str, voice: str = "en-US-JennyNeural", **props) -> dict:
    body: dict = {
        "inputKind": "PlainText",
        "synthesisConfig": {"voice": voice},
        "inputs": [{"content": t} for t in texts],
    }
    if props:
        body["properties"] = props
    return body


def ssml(*documents: str, **props) -> dict:
    body: dict = {"inputKind": "SSML", "inputs": [{"content": d} for d in documents]}
    if props:
        body["properties"] = props
    return body


def speak(inner: str, voice: str = "en-US-JennyNeural") -> str:
    return (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
        f'<voice name="{voice}">{inner}</voice></speak>'
    )


@pytest.fixture(scope="module")
def emu_args() -> tuple[str, ...]:
    return ("--rate-limit", "0")


@pytest.fixture(scope="module")
def emu(emu_args) -> Iterator:
    with emulator(key=KEY, extra_args=emu_args) as instance:
        yield instance


@pytest.fixture
def client(emu) -> Iterator[Client]:
    c = Client(emu.endpoint)
    yield c
    c.http.close()
