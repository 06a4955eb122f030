"""Typed errors. What a caller does with an error depends only on its class.

    SpeechdropError
     ├── ConfigurationError   a setting is missing or invalid: fail fast, name the setting
     ├── InputError           the dropped file is wrong: report it in error.json, never retry
     └── TransientError       worth trying again later (network, 5xx, conflicts)
          └── ThrottledError  the service said 429; `retry_after` seconds if it said when

A `SpeechServiceError` is raised by the speech client for a non-retryable answer from the
service (4xx other than 429): it carries the HTTP status and the service's error code.
Messages never contain keys, tokens or SAS query strings: build them from names and
status codes, never from request URLs or headers.
"""

from __future__ import annotations

__all__ = [
    "SpeechdropError",
    "ConfigurationError",
    "InputError",
    "TransientError",
    "ThrottledError",
    "SpeechServiceError",
]


class SpeechdropError(Exception):
    """Base of every error speechdrop raises on purpose."""


class ConfigurationError(SpeechdropError):
    """A setting is missing or invalid. The message names the setting."""


class InputError(SpeechdropError):
    """The dropped file cannot be voiced as it is; the message says what to fix.

    `code` is a stable machine-readable reason (e.g. ``encoding``, ``ssml``); `where`
    points into the file when the problem has a place (``paragraph 12``, ``line 3``).
    """

    def __init__(self, code: str, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.where = where

    def to_dict(self) -> dict[str, str]:
        report = {"code": self.code, "message": self.message}
        if self.where:
            report["where"] = self.where
        return report


class TransientError(SpeechdropError):
    """Something that may work when tried again later."""


class ThrottledError(TransientError):
    """The service answered 429 Too Many Requests."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SpeechServiceError(SpeechdropError):
    """The speech service refused a request for a reason retrying will not fix."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
