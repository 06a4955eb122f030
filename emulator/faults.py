"""Failures on demand, deterministic with a seed.

Settings (CLI flags, or JSON to `POST /emulator/faults`; a JSON body changes only the keys
it names):

- `errors` (`--fault OP:STATUS=P`, repeatable): probability P of answering an API request
  of operation OP (`create`, `get`, `list`, `delete`, `operation`, or `*` for all) with
  STATUS (429, 500 or 503). 429s carry `Retry-After: 1`; 503s carry `Retry-After: 1` too.
- `fail_job` (`--fail-job P`): a job ends Failed (error InternalServerError).
- `fail_input` (`--fail-input P`): one input ends Failed (counted in failedAudioCount).
- `stuck_job` (`--stuck-job P`): a job goes Running and never finishes.
- `slow_ms` / `slow_probability` (`--slow-ms MS`, `--slow-probability P`): delay an API
  response by MS milliseconds with probability P (default 1).
- `seed` (`--seed N`): request faults draw from one RNG seeded with N (same sequence of
  requests → same faults); job and input faults are drawn from a hash of (seed, job id,
  input index), so they do not depend on timing (without a seed, a random per-process salt).
"""

from __future__ import annotations

import hashlib
import random
import threading
from dataclasses import dataclass, field

__all__ = ["FaultSettings", "Faults", "OPERATIONS", "parse_fault_spec"]

OPERATIONS = ("create", "get", "list", "delete", "operation")
_STATUSES = (429, 500, 503)


@dataclass
class FaultSettings:
    errors: dict[str, dict[int, float]] = field(default_factory=dict)
    fail_job: float = 0.0
    fail_input: float = 0.0
    stuck_job: float = 0.0
    slow_ms: int = 0
    slow_probability: float = 1.0
    seed: int | None = None

    def as_json(self) -> dict:
        return {
            "errors": {op: {str(s): p for s, p in st.items()} for op, st in self.errors.items()},
            "fail_job": self.fail_job,
            "fail_input": self.fail_input,
            "stuck_job": self.stuck_job,
            "slow_ms": self.slow_ms,
            "slow_probability": self.slow_probability,
            "seed": self.seed,
        }


def _probability(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be a probability between 0 and 1")
    return float(value)


def parse_fault_spec(spec: str) -> tuple[str, int, float]:
    """`create:503=0.2` → ("create", 503, 0.2); `503=0.2` means every operation."""
    try:
        target, prob = spec.split("=", 1)
        op, _, status = target.rpartition(":")
        op = op or "*"
        code = int(status)
        p = float(prob)
    except ValueError as exc:
        raise ValueError(f"bad fault '{spec}': expected OP:STATUS=P, e.g. create:503=0.2") from exc
    _check_error(op, code)
    return op, code, _probability(p, spec)


def _check_error(op: str, code: int) -> None:
    if op != "*" and op not in OPERATIONS:
        raise ValueError(f"unknown operation '{op}' (one of {', '.join(OPERATIONS)} or *)")
    if code not in _STATUSES:
        raise ValueError(f"fault status must be one of {_STATUSES}")


class Faults:
    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self.settings = settings or FaultSettings()
        self._rng = random.Random(self.settings.seed)
        self._salt = random.SystemRandom().getrandbits(64)

    def update(self, body: dict) -> FaultSettings:
        """Apply a JSON body (partial update). Raises ValueError on a bad setting."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(body) - set(FaultSettings().as_json())
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        with self._lock:
            s = self.settings
            new = FaultSettings(
                {k: dict(v) for k, v in s.errors.items()},
                s.fail_job,
                s.fail_input,
                s.stuck_job,
                s.slow_ms,
                s.slow_probability,
                s.seed,
            )
            if "errors" in body:
                errors = body["errors"]
                if not isinstance(errors, dict):
                    raise ValueError('errors must be {"op": {"status": probability}}')
                new.errors = {}
                for op, statuses in errors.items():
                    if not isinstance(statuses, dict):
                        raise ValueError('errors must be {"op": {"status": probability}}')
                    for status, p in statuses.items():
                        code = int(status)
                        _check_error(op, code)
                        new.errors.setdefault(op, {})[code] = _probability(p, f"{op}:{code}")
            for key in ("fail_job", "fail_input", "stuck_job", "slow_probability"):
                if key in body:
                    setattr(new, key, _probability(body[key], key))
            if "slow_ms" in body:
                if not isinstance(body["slow_ms"], int) or body["slow_ms"] < 0:
                    raise ValueError("slow_ms must be a non-negative integer")
                new.slow_ms = body["slow_ms"]
            if "seed" in body:
                if body["seed"] is not None and not isinstance(body["seed"], int):
                    raise ValueError("seed must be an integer or null")
                new.seed = body["seed"]
                self._rng = random.Random(new.seed)
            self.settings = new
            return new

    def request_fault(self, operation: str) -> int | None:
        """An HTTP status to answer with instead of serving the request, or None."""
        with self._lock:
            errors = self.settings.errors
            for status in _STATUSES:
                p = errors.get(operation, {}).get(status, 0.0) or errors.get("*", {}).get(
                    status, 0.0
                )
                if p > 0 and self._rng.random() < p:
                    return status
            return None

    def delay_seconds(self) -> float:
        with self._lock:
            s = self.settings
            if s.slow_ms > 0 and self._rng.random() < s.slow_probability:
                return s.slow_ms / 1000
            return 0.0

    def _draw(self, *parts: object) -> float:
        salt = self.settings.seed if self.settings.seed is not None else self._salt
        key = "|".join(str(p) for p in (salt, *parts)).encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") / 2**64

    def job_fails(self, job_id: str) -> bool:
        return self._draw("job", job_id) < self.settings.fail_job

    def job_stuck(self, job_id: str) -> bool:
        return self._draw("stuck", job_id) < self.settings.stuck_job

    def input_fails(self, job_id: str, index: int) -> bool:
        return self._draw("input", job_id, index) < self.settings.fail_input
