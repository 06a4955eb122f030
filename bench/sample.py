"""The baseline: the official Python sample's way of using batch synthesis.

Azure-Samples/cognitive-services-speech-sdk `samples/batch-synthesis/python/synthesis.py`
submits a job (PUT), then GETs it every 5 s until it is Succeeded or Failed. Here each
dropped file runs that flow in its own thread (as if each file had its own copy of the
script), then downloads `outputs.result` into memory and opens the zip, as typical glue
around the sample does. It never deletes jobs (the sample does not; they expire).

The sample as written treats any HTTP error as the end of the script; run that way, a
429 ends the file. So that the baseline finishes at all under a rate limit, this copy
sleeps `Retry-After` and tries again, and counts the files that saw at least one 429
(the ones the sample as written would have lost).
"""

from __future__ import annotations

import io
import threading
import time
import uuid
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.common import parse_time

__all__ = ["SampleFile", "SampleRun", "run_sample"]

API = "2024-04-01"


@dataclass
class SampleFile:
    name: str
    bodies: list[dict[str, Any]]
    started: float = 0.0  # time.time() the script started (the file "landed")
    done: float | None = None
    span_s: float | None = None  # service time: first created to last finished
    saw_429: bool = False
    failed: str | None = None
    audio_bytes: int = 0


@dataclass
class SampleRun:
    files: list[SampleFile]
    requests: Counter = field(default_factory=Counter)  # (operation, status) -> count
    wall_s: float = 0.0


class _Client:
    def __init__(self, endpoint: str, key: str, run: SampleRun, connections: int) -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self.http = httpx.Client(timeout=httpx.Timeout(120.0, connect=30.0), limits=limits)
        self.base = endpoint.rstrip("/") + "/texttospeech/batchsyntheses"
        self.headers = {"Ocp-Apim-Subscription-Key": key}
        self.run = run
        self.lock = threading.Lock()

    def send(self, op: str, method: str, url: str, f: SampleFile, **kw: Any) -> httpx.Response:
        while True:
            response = self.http.request(method, url, headers=self.headers, **kw)
            with self.lock:
                self.run.requests[(op, response.status_code)] += 1
            if response.status_code != 429:
                response.raise_for_status()
                return response
            f.saw_429 = True
            time.sleep(float(response.headers.get("Retry-After", "1")))


def _one_file(client: _Client, f: SampleFile, poll_s: float, deadline: float) -> None:
    f.started = time.time()
    try:
        ids = []
        for body in f.bodies:
            job_id = str(uuid.uuid4())
            client.send(
                "create",
                "PUT",
                f"{client.base}/{job_id}",
                f,
                params={"api-version": API},
                json=body,
            )
            ids.append(job_id)
        jobs = []
        for job_id in ids:
            while True:
                job = client.send(
                    "get", "GET", f"{client.base}/{job_id}", f, params={"api-version": API}
                ).json()
                if job["status"] in ("Succeeded", "Failed"):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(job_id)
                time.sleep(poll_s)
            jobs.append(job)
        for job in jobs:
            data = client.send("download", "GET", job["outputs"]["result"], f).content
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for info in archive.infolist():
                    f.audio_bytes += len(archive.read(info))  # what glue does: unpack it
        f.span_s = max(parse_time(j["lastActionDateTime"]) for j in jobs) - min(
            parse_time(j["createdDateTime"]) for j in jobs
        )
        if any(j["status"] == "Failed" for j in jobs):
            f.failed = "synthesis"
    except (httpx.HTTPError, TimeoutError) as error:
        f.failed = type(error).__name__
    f.done = time.time()


def run_sample(
    endpoint: str,
    key: str,
    files: list[SampleFile],
    poll_s: float,
    connections: int = 100,
    timeout_s: float = 1800.0,
) -> SampleRun:
    """Run the sample's flow for every file at once; returns what happened."""
    run = SampleRun(files)
    client = _Client(endpoint, key, run, connections)
    started = time.monotonic()
    deadline = started + timeout_s
    try:
        with ThreadPoolExecutor(max_workers=len(files)) as pool:
            list(pool.map(lambda f: _one_file(client, f, poll_s, deadline), files))
    finally:
        client.http.close()
    run.wall_s = time.monotonic() - started
    return run
