"""Lifecycle: NotStarted → Running → Succeeded with the latency model, TTL expiry (with
--time-scale 1: an emulated hour lasts a second), and expiring result URLs."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.emulator.conftest import Client, plain


@pytest.fixture(scope="module")
def emu_args() -> tuple[str, ...]:
    return (
        "--rate-limit", "0",
        "--queue-delay", "0.4",
        "--speed", "3",
        "--time-scale", "1",
        "--result-url-hours", "1.5",
    )  # fmt: skip


def test_states_and_timestamps(client: Client):
    job_id = f"life-{uuid.uuid4().hex[:8]}"
    created = client.put(job_id, plain("One two three four five six.")).json()
    seen = [created["status"]]
    stamps = {created["lastActionDateTime"]}
    while seen[-1] not in ("Succeeded", "Failed"):
        job = client.get(job_id).json()
        if job["status"] != seen[-1]:
            seen.append(job["status"])
            stamps.add(job["lastActionDateTime"])
        time.sleep(0.03)
    assert seen == ["NotStarted", "Running", "Succeeded"]
    assert len(stamps) == 3
    assert job["createdDateTime"] == created["createdDateTime"]
    assert job["lastActionDateTime"] > job["createdDateTime"]


def test_ttl_expiry_removes_job_and_result(client: Client):
    job_id = f"ttl-{uuid.uuid4().hex[:8]}"
    client.put(job_id, plain("Short.", timeToLiveInHours=1))
    job = client.wait(job_id)
    url = job["outputs"]["result"]
    assert httpx.get(url).status_code == 200
    time.sleep(1.2)
    assert client.get(job_id).status_code == 404
    gone = httpx.get(url)
    assert gone.status_code == 404 and gone.headers["x-ms-error-code"] == "BlobNotFound"


def test_result_url_expires_and_is_renewed(client: Client):
    job_id = f"url-{uuid.uuid4().hex[:8]}"
    client.put(job_id, plain("Short.", timeToLiveInHours=10))
    url = client.wait(job_id)["outputs"]["result"]
    tampered = url.replace("sig=", "sig=x")
    denied = httpx.get(tampered)
    assert denied.status_code == 403 and denied.headers["x-ms-error-code"] == "AuthenticationFailed"
    time.sleep(1.6)
    expired = httpx.get(url)
    assert (
        expired.status_code == 403 and expired.headers["x-ms-error-code"] == "AuthenticationFailed"
    )
    fresh = client.get(job_id).json()["outputs"]["result"]
    assert httpx.get(fresh).status_code == 200
