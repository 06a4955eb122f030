"""`make bench` / `python -m bench [--only split,memory] [--quick] [--scale K]`.

Figures (each printed with its goal and the baseline beside it, as one table at the end):

  requests  requests per delivered file to the speech API, by operation (create, get,
            list, delete, voices), for a mix of text files dropped at once
  latency   added latency: blob landing -> manifest.json, minus the service's time on
            the job (createdDateTime -> lastActionDateTime), p50 and p95
            (requests and latency come from the same run)
  throttle  many small files dropped at once against the rate limit: total time against
            the floor the rate limit allows, 429s, and 429s that became failures
  memory    peak RSS of the process running the triggers while it delivers one job of
            10,000 inputs and >= 500 MB of audio
  split     time to turn a 10 MB text file into job requests

Everything runs against Azurite and the batch synthesis emulator (started here on free
ports and stopped on the way out) through the app's own trigger functions. Time is
scaled down by K (default 10; see `bench.common`). `--quick` runs tiny sizes (the smoke
test uses it): the figures are produced, the numbers mean little.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from bench.common import Scale
from bench.table import Row, render
from devtools.localstack import azurite

FIGURES = ("requests", "latency", "throttle", "memory", "split")


def _sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {
            "mixed": 6,
            "mixed_low": 100,
            "mixed_high": 800,
            "burst": 30,
            "inputs": 100,
            "split_bytes": 1_000_000,
            "repeat": 1,
        }
    return {
        "mixed": 200,
        "mixed_low": 200,
        "mixed_high": 4000,
        "burst": 1000,
        "inputs": 10_000,
        "split_bytes": 10_000_000,
        "repeat": 3,
    }


def run(only: list[str], quick: bool, scale: Scale, log_dir: Path | None = None) -> list[Row]:
    from bench import flow
    from bench.memory import memory
    from bench.split import split

    sizes = _sizes(quick)
    rows: list[Row] = []
    with ExitStack() as stack:
        storage = None
        if set(only) - {"split"}:
            storage = stack.enter_context(azurite(log_dir=log_dir))
        if "requests" in only or "latency" in only:
            _say("figures 1-2: requests per file and added latency")
            files = flow.mixed_files(sizes["mixed"], sizes["mixed_low"], sizes["mixed_high"])
            found = flow.requests_and_latency(storage, scale, files)
            rows += [
                r
                for r in found
                if ("requests" in only and r.figure.startswith("1"))
                or ("latency" in only and r.figure.startswith("2"))
                or r.figure.startswith("1+2")
            ]
        if "throttle" in only:
            _say("figure 3: throughput under throttling")
            rows += flow.throughput(storage, scale, flow.small_files(sizes["burst"]))
        if "memory" in only:
            _say("figure 4: memory while delivering one big job")
            rows += memory(storage, inputs=sizes["inputs"])
        if "split" in only:
            _say("figure 5: splitting")
            rows += split(sizes["split_bytes"], sizes["repeat"])
    return rows


def _say(message: str) -> None:
    print(f"== {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help=f"comma-separated figures to run (default all: {','.join(FIGURES)})",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a faster time scale")
    parser.add_argument(
        "--scale",
        type=float,
        default=None,
        help="time scale-down factor K (default 10; 30 with --quick)",
    )
    parser.add_argument(
        "--log-dir", type=Path, default=None, help="keep Azurite/emulator logs here"
    )
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(FIGURES))
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    scale = Scale(args.scale or (30.0 if args.quick else 10.0))
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    rows = run(only, args.quick, scale, args.log_dir)
    wall = time.monotonic() - started
    print()
    print(f"speechdrop bench{' (quick)' if args.quick else ''}: {', '.join(only)}")
    if set(only) & {"requests", "latency", "throttle"}:
        print(f"time scale {scale.describe()}")
    print(render(rows))
    print(f"\nwall time {wall:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
