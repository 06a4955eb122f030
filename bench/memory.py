"""Figure 4: peak RSS of the process running the trigger functions while it delivers ONE
job of 10,000 inputs and >= 500 MB of audio (riff-48khz-16bit-mono-pcm, 96 KB/s).

The delivery runs in a child process (`python -m bench.memory --child NAME`) that calls
the app's own trigger functions through the local runner (the blob trigger once, then the
timer until the file is delivered) and reports its own peak RSS (VmHWM; `ru_maxrss`
would carry the parent's peak over the exec). The baseline child does what glue around
the official sample typically does with the same job: download the result zip into
memory, unpack it and join the audio in memory, then upload it to the output container
in one call.

Inputs are one or two words each (one line per input), which with espeak comes to about
55-75 KB of 48 kHz audio per input; the figure reports exactly what size was reached.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

from bench.common import _WORDS, REAL_QUEUE_DELAY_S, scenario
from bench.table import Row, fmt
from devtools.localstack import REPO_ROOT, Azurite

__all__ = ["memory"]

FORMAT = "riff-48khz-16bit-mono-pcm"
GOAL_MB = 200


def book(inputs: int, min_chars: int = 7, seed: int = 4) -> bytes:
    """`inputs` lines of a word or two each (every line one input)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(inputs):
        line = rng.choice(_WORDS)
        while len(line) < min_chars:
            line += " " + rng.choice(_WORDS)
        lines.append(line.capitalize() + ".")
    return ("\n".join(lines) + "\n").encode()


def _status_mb(field: str) -> float | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def _peak_mb() -> float:
    """This process image's peak RSS. VmHWM, not ru_maxrss: Linux keeps ru_maxrss across
    execve, so a child spawned (vfork + exec) by a big parent would report the parent's
    peak."""
    peak = _status_mb("VmHWM")
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return peak


def _rss_mb() -> float:
    return _status_mb("VmRSS") or float("nan")


# -- children ---------------------------------------------------------------------------------


def _child_pipeline(name: str, timeout_s: float) -> dict[str, Any]:
    from azure.storage.blob import BlobServiceClient

    import function_app
    from bench.common import JobObserver
    from devtools.runner import LocalRunner
    from shared import pipeline

    blobs = BlobServiceClient.from_connection_string(os.environ["SPEECHDROP_STORAGE"])
    runner = LocalRunner(
        function_app.app, blobs.get_container_client(os.environ["INPUT_CONTAINER"])
    )
    observer = JobObserver()
    observer.attach(pipeline.default_pipeline().speech)
    idle = _rss_mb()
    started = time.monotonic()
    runner.deliver_event(name)
    accepted = time.monotonic()
    state = "?"
    while time.monotonic() - started < timeout_s:
        runner.tick()
        state = runner.get(f"jobs/{name}")[1].get("state", "?")
        if state in ("delivered", "failed"):
            break
        time.sleep(0.5)
    spans = list(observer.spans.values())
    return {
        "state": state,
        "peak_mb": _peak_mb(),
        "idle_mb": idle,
        "accept_s": accepted - started,
        "wall_s": time.monotonic() - started,
        "synthesis_s": (spans[0][1] - spans[0][0]) if spans else None,
    }


def _child_sample(name: str, timeout_s: float) -> dict[str, Any]:
    import uuid

    from azure.storage.blob import BlobServiceClient

    from shared import documents
    from shared.config import Settings

    settings = Settings.from_env()
    blobs = BlobServiceClient.from_connection_string(os.environ["SPEECHDROP_STORAGE"])
    blob = blobs.get_blob_client(os.environ["INPUT_CONTAINER"], name)
    data = blob.download_blob().readall()
    metadata = blob.get_blob_properties().metadata
    document = documents.build_document(name, data, metadata, settings, None)
    idle = _rss_mb()
    started = time.monotonic()
    base = os.environ["SPEECH_ENDPOINT"] + "/texttospeech/batchsyntheses/"
    headers = {"Ocp-Apim-Subscription-Key": os.environ["SPEECH_KEY"]}
    params = {"api-version": "2024-04-01"}
    with httpx.Client(timeout=600, headers=headers) as http:
        job_id = str(uuid.uuid4())
        body = document.jobs[0].body(description="sample")
        http.put(base + job_id, params=params, json=body).raise_for_status()
        while time.monotonic() - started < timeout_s:
            job = http.get(base + job_id, params=params).json()
            if job["status"] in ("Succeeded", "Failed"):
                break
            time.sleep(0.5)
        content = httpx.get(job["outputs"]["result"], timeout=600).content
    audio = bytearray()
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        summary = json.loads(archive.read("summary.json"))
        for result in summary["results"]:
            wav = archive.read(result["audioFileName"])
            audio += wav[44:]  # the PCM payload after the 44-byte header
    out = blobs.get_blob_client(os.environ["OUTPUT_CONTAINER"], f"{name}/sample-audio.wav")
    out.upload_blob(bytes(audio), overwrite=True)
    return {
        "state": "delivered" if job["status"] == "Succeeded" else "failed",
        "peak_mb": _peak_mb(),
        "idle_mb": idle,
        "wall_s": time.monotonic() - started,
        "audio_mb": len(audio) / 1e6,
    }


def _run_child(kind: str, name: str, env: dict[str, str], timeout_s: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.memory", f"--{kind}", name, "--timeout", str(timeout_s)]
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout_s + 120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory child ({kind}) failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the figure ------------------------------------------------------------------------------


def memory(storage: Azurite, inputs: int = 10_000, timeout_s: float = 900.0) -> list[Row]:
    name = "book.txt"
    data = book(inputs)
    emulator_args = ["--rate-limit", "0", "--queue-delay", f"{REAL_QUEUE_DELAY_S / 30:g}"]
    with scenario("memory", storage, emulator_args) as app:
        app.input.upload_blob(name, data, metadata={"outputformat": FORMAT})
        ours = _run_child("child", name, app.env, timeout_s)
        manifest = json.loads(app.output.download_blob(f"{name}/manifest.json").readall())
        base = _run_child("child-sample", name, app.env, timeout_s)
    audio = manifest.get("audio", {})
    size_mb = audio.get("sizeBytes", 0) / 1e6
    minutes = audio.get("durationMs", 0) / 60000
    scope = (
        f"{manifest.get('inputs')} inputs in {len(manifest.get('jobs', []))} job(s), "
        f"{len(data) / 1e3:.0f} KB text, audio {size_mb:.0f} MB = {minutes:.0f} min at 48 kHz; "
        f"state {ours['state']}"
    )
    return [
        Row(
            "4 memory",
            "peak RSS, 1 job",
            fmt(ours["peak_mb"], " MB", 0),
            f"<= {GOAL_MB} MB",
            fmt(base["peak_mb"], " MB", 0),
            scope,
        ),
        Row(
            "4 memory",
            "  idle RSS before",
            fmt(ours["idle_mb"], " MB", 0),
            "-",
            fmt(base["idle_mb"], " MB", 0),
            f"synthesis took {fmt(ours['synthesis_s'], ' s', 1)} at the emulator "
            f"(espeak, no speed limit); delivery run {ours['wall_s']:.1f} s "
            f"(sample {base['wall_s']:.1f} s)",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="figure 4 children (used by `python -m bench`)")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--child", metavar="NAME")
    group.add_argument("--child-sample", metavar="NAME")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args(argv)
    if args.child:
        result = _child_pipeline(args.child, args.timeout)
    else:
        result = _child_sample(args.child_sample, args.timeout)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
