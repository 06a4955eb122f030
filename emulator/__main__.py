"""`python -m emulator --port N [--key K] [options]`: serve the batch synthesis emulator
(and the Long Audio API v3.0 beside it).

Run `python -m emulator --help` for every option; `emulator/README.md` explains them.
"""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from emulator.config import Config
from emulator.faults import FaultSettings, parse_fault_spec

__all__ = ["main", "parse_args"]


def _probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _fault(text: str) -> tuple[str, int, float]:
    try:
        return parse_fault_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parse_args(argv: list[str] | None = None) -> Config:
    p = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Local Azure Speech batch synthesis emulator (api-version 2024-04-01) "
        "with real speech from espeak-ng.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8787, help="port to listen on (default 8787)")
    p.add_argument("--key", help="required Ocp-Apim-Subscription-Key (default: no auth)")
    p.add_argument(
        "--bearer-token",
        help="with --key: the one Bearer token accepted (default: any JWT-shaped token)",
    )
    p.add_argument("--rate-limit", type=int, default=100, help="requests per window; 0 = off")
    p.add_argument("--rate-window", type=float, default=10.0, help="window seconds (default 10)")
    p.add_argument(
        "--long-audio-rate-limit",
        type=int,
        default=5,
        help="Long Audio API requests per second (default 5, as the service); 0 = off",
    )
    p.add_argument(
        "--max-payload-bytes", type=int, default=2_000_000, help="PUT body limit (default 2 MB)"
    )
    p.add_argument(
        "--queue-delay", type=_non_negative, default=0.0, help="seconds a job stays NotStarted"
    )
    p.add_argument(
        "--speed",
        type=_non_negative,
        default=0.0,
        help="real-time factor: a job runs at least audio duration / X seconds (0 = no wait)",
    )
    p.add_argument(
        "--time-scale",
        type=_non_negative,
        default=3600.0,
        help="real seconds per emulated hour for timeToLiveInHours and result URLs "
        "(default 3600; 1 makes an hour last a second)",
    )
    p.add_argument(
        "--result-url-hours",
        type=_non_negative,
        default=12.0,
        help="lifetime of outputs.result URLs in emulated hours (default 12)",
    )
    p.add_argument("--seed", type=int, help="seed for the injected faults")
    p.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="OP:STATUS=P",
        help="answer OP (create|get|list|delete|operation|*) with STATUS (429|500|503) "
        "with probability P; repeatable",
    )
    p.add_argument("--fail-job", type=_probability, default=0.0, help="P(job ends Failed)")
    p.add_argument("--fail-input", type=_probability, default=0.0, help="P(an input fails)")
    p.add_argument("--stuck-job", type=_probability, default=0.0, help="P(job stays Running)")
    p.add_argument("--slow-ms", type=int, default=0, help="delay API responses by this many ms")
    p.add_argument(
        "--slow-probability", type=_probability, default=1.0, help="P(a response is slowed)"
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    a = p.parse_args(argv)
    errors: dict[str, dict[int, float]] = {}
    for op, status, prob in a.fault:
        errors.setdefault(op, {})[status] = prob
    faults = FaultSettings(
        errors, a.fail_job, a.fail_input, a.stuck_job, a.slow_ms, a.slow_probability, a.seed
    )
    config = Config(
        host=a.host,
        port=a.port,
        key=a.key,
        bearer_token=a.bearer_token,
        rate_limit=a.rate_limit,
        rate_window=a.rate_window,
        long_audio_rate_limit=a.long_audio_rate_limit,
        max_payload_bytes=a.max_payload_bytes,
        queue_delay=a.queue_delay,
        speed=a.speed,
        time_scale=a.time_scale,
        result_url_hours=a.result_url_hours,
        faults=faults,
    )
    logging.basicConfig(
        level=a.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL at INFO, and destination URLs carry SAS tokens
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return config


def main(argv: list[str] | None = None) -> int:
    config = parse_args(argv)
    from emulator.app import create_app

    app = create_app(config)
    logging.getLogger(__name__).info(
        "batch synthesis emulator on http://%s:%d (auth %s)",
        config.host,
        config.port,
        "on" if config.key else "off",
    )
    # access_log off: request lines would carry SAS query strings of result downloads
    uvicorn.run(app, host=config.host, port=config.port, access_log=False, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
