"""Emulator settings: one frozen dataclass built by `__main__` from the command line."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.faults import FaultSettings

__all__ = ["Config"]


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8787
    key: str | None = None  # Ocp-Apim-Subscription-Key; None: no auth required
    bearer_token: str | None = None  # exact token to accept; None: any JWT-shaped token
    rate_limit: int = 100  # requests per window; <= 0 disables
    rate_window: float = 10.0  # seconds
    long_audio_rate_limit: int = 5  # Long Audio API requests per second; <= 0 disables
    max_payload_bytes: int = 2_000_000  # docs: 2 MB (the spec text says 500 KB)
    queue_delay: float = 0.0  # seconds a job stays NotStarted before the worker may start it
    speed: float = 0.0  # real-time factor: Running lasts >= audio duration / speed; 0: no wait
    time_scale: float = 3600.0  # real seconds per emulated hour (TTL, result URL lifetime)
    result_url_hours: float = 12.0  # lifetime of outputs.result download URLs (emulated hours)
    faults: FaultSettings = field(default_factory=FaultSettings)
