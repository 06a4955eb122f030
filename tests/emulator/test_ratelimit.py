"""Rate limiting (`--rate-limit 5 --rate-window 2`): 429 TooManyRequests + Retry-After."""

from __future__ import annotations

import time

import pytest

from tests.emulator.conftest import Client


@pytest.fixture(scope="module")
def emu_args() -> tuple[str, ...]:
    return ("--rate-limit", "5", "--rate-window", "2")


def test_throttled_with_retry_after(client: Client):
    statuses = [client.get("some-job").status_code for _ in range(5)]
    assert statuses == [404] * 5
    r = client.get("some-job")
    assert r.status_code == 429
    assert r.headers["x-ms-error-code"] == "TooManyRequests"
    assert r.json()["error"]["code"] == "TooManyRequests"
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 2
    assert client.http.get("/emulator/stats").status_code == 200  # not limited
    time.sleep(retry + 0.1)
    assert client.get("some-job").status_code == 404


def test_rate_limit_is_configurable_at_run_time(client: Client):
    client.faults(rate_limit=0)
    assert all(client.get("x-job").status_code == 404 for _ in range(10))
