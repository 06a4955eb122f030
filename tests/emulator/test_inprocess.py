"""In-process tests of the app (httpx ASGI transport: no lifespan, so no worker thread)."""

from __future__ import annotations

import asyncio

import httpx

from emulator.app import create_app
from emulator.config import Config

LIST = "/texttospeech/batchsyntheses?api-version=2024-04-01"
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2ln"


def call(config: Config, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(config))
        async with httpx.AsyncClient(transport=transport, base_url="http://emu") as client:
            return [await client.request(m, url, **kw) for m, url, kw in requests]

    return asyncio.run(run())


def test_configured_bearer_token_is_the_only_one_accepted():
    exact, jwt, key = call(
        Config(key="k", bearer_token="exact-token"),
        [
            ("GET", LIST, {"headers": {"Authorization": "Bearer exact-token"}}),
            ("GET", LIST, {"headers": {"Authorization": f"Bearer {JWT}"}}),
            ("GET", LIST, {"headers": {"Ocp-Apim-Subscription-Key": "k"}}),
        ],
    )
    assert (exact.status_code, jwt.status_code, key.status_code) == (200, 401, 200)


def test_no_key_means_no_auth():
    (response,) = call(Config(), [("GET", LIST, {})])
    assert response.status_code == 200


def test_created_job_waits_in_not_started_without_a_worker():
    body = {
        "inputKind": "PlainText",
        "synthesisConfig": {"voice": "en-US-GuyNeural"},
        "inputs": [{"content": "Hi."}],
    }
    job_url = "/texttospeech/batchsyntheses/abc?api-version=2024-04-01"
    created, got, stats, reset, after = call(
        Config(),
        [
            ("PUT", job_url, {"json": body}),
            ("GET", job_url, {}),
            ("GET", "/emulator/stats", {}),
            ("POST", "/emulator/reset", {}),
            ("GET", "/emulator/stats", {}),
        ],
    )
    assert created.status_code == 201 and created.json()["status"] == "NotStarted"
    assert got.json()["status"] == "NotStarted" and "outputs" not in got.json()
    assert stats.json()["jobs"] == {"NotStarted": 1}
    assert reset.status_code == 204 and after.json()["jobs"] == {}
