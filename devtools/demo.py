"""`make demo`: the whole pipeline on this machine, in one command.

Starts Azurite and the batch synthesis emulator on free ports, uploads a folder of input
files into the input container, runs the app's own trigger functions (through the local
runner) until every file is delivered or failed, downloads the output container into a
local folder and prints what happened to each file. Everything it started is stopped on
the way out, also on Ctrl-C or failure.

    python -m devtools.demo --input samples --out out
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from azure.storage.blob import BlobServiceClient, ContainerClient

import function_app
from devtools.localstack import app_settings, azurite, emulator
from devtools.runner import LocalRunner, app_environment, schedule_interval_seconds

__all__ = ["main", "run_demo"]

logger = logging.getLogger("speechdrop.demo")

INPUT_CONTAINER = "input"
OUTPUT_CONTAINER = "output"
POLL_SCHEDULE = "*/2 * * * * *"
#: A realistic-but-quick latency model: a short queue, synthesis at 20x real time.
EMULATOR_ARGS = ("--queue-delay", "1", "--speed", "20")


def _input_files(folder: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            yield path.relative_to(folder).as_posix(), path


def _download(container: ContainerClient, out: Path) -> None:
    for blob in container.list_blobs():
        target = out / blob.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as sink:
            container.download_blob(blob.name).readinto(sink)


class _Progress:
    """Files settled / total and elapsed time: one updating line on a terminal, else a
    line whenever the count changes."""

    def __init__(self) -> None:
        self._last: int | None = None
        self._tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, elapsed: float) -> None:
        line = f"  {done}/{total} files settled, {elapsed:5.1f} s"
        if self._tty:
            print(f"\r{line}", end="", file=sys.stderr, flush=True)
        elif done != self._last:
            print(line, file=sys.stderr, flush=True)
        self._last = done


def _row(name: str, status: dict[str, Any], out: Path) -> tuple[str, ...]:
    manifest_path = out / status.get("outputs", {}).get("folder", name) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    audio = manifest.get("audio", {})
    duration = f"{audio['durationMs'] / 1000:.1f} s" if audio else "-"
    folder = out / status.get("outputs", {}).get("folder", name)
    target = folder / (audio["files"][0] if audio else "error.json")
    return (name, status["state"], duration, str(status.get("characters", 0)), str(target))


def _print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("file", "status", "audio", "characters", "output")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def run_demo(input_dir: Path, out: Path, timeout: float = 600.0) -> dict[str, dict[str, Any]]:
    """Run the pipeline over `input_dir`; returns each file's final status."""
    files = list(_input_files(input_dir))
    if not files:
        raise SystemExit(f"{input_dir} holds no input files")
    key = secrets.token_hex(16)
    with ExitStack() as stack:
        print("starting Azurite and the batch synthesis emulator ...", file=sys.stderr)
        storage = stack.enter_context(azurite())
        speech = stack.enter_context(emulator(key=key, extra_args=EMULATOR_ARGS))
        settings = app_settings(
            storage,
            speech,
            INPUT_CONTAINER=INPUT_CONTAINER,
            OUTPUT_CONTAINER=OUTPUT_CONTAINER,
            POLL_SCHEDULE=POLL_SCHEDULE,
        )
        stack.enter_context(app_environment(settings))
        blobs = stack.enter_context(
            BlobServiceClient.from_connection_string(storage.connection_string)
        )
        input_container = blobs.create_container(INPUT_CONTAINER)
        for name, path in files:
            with path.open("rb") as data:
                input_container.upload_blob(name, data)
        print(f"uploaded {len(files)} file(s) from {input_dir}", file=sys.stderr)

        runner = LocalRunner(function_app.app, input_container)
        started = time.monotonic()
        statuses = runner.run_until_settled(
            [name for name, _ in files],
            interval=schedule_interval_seconds(POLL_SCHEDULE),
            timeout=timeout,
            on_progress=_Progress(),
        )
        print(f"\nall settled in {time.monotonic() - started:.1f} s", file=sys.stderr)

        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        _download(blobs.get_container_client(OUTPUT_CONTAINER), out)
    rows = [_row(name, statuses[name], out) for name, _ in files]
    _print_table(rows)
    for name, _ in files:
        error = statuses[name].get("error")
        if error:
            print(f"\n{name} failed ({error['code']}): {error['message']}")
    return statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=Path("samples"), help="folder of files")
    parser.add_argument("--out", type=Path, default=Path("out"), help="where results go")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait at most")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        run_demo(args.input, args.out, args.timeout)
    except KeyboardInterrupt:
        print("\ninterrupted; everything started was stopped", file=sys.stderr)
        return 130
    except TimeoutError as error:
        print(f"\n{error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
