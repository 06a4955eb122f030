"""A sliding-window request limiter (default 100 requests per 10 s) for the API routes.

Over the limit, the request gets 429 TooManyRequests with `Retry-After` in whole seconds
(until the oldest request in the window leaves it). `limit <= 0` disables it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(self, limit: int, window: float, clock=time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def configure(self, limit: int | None = None, window: float | None = None) -> None:
        with self._lock:
            if limit is not None:
                self.limit = limit
            if window is not None:
                self.window = window
            self._hits.clear()

    def check(self) -> int | None:
        """Record a request; None if allowed, else the Retry-After seconds."""
        with self._lock:
            if self.limit <= 0:
                return None
            now = self._clock()
            while self._hits and self._hits[0] <= now - self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return max(1, math.ceil(self._hits[0] + self.window - now))
            self._hits.append(now)
            return None
