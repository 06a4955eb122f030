"""Helpers for secret scans: capture every log record, and find secrets in text."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

__all__ = ["SAS_PARAMETER", "capture_all_logs", "find_secrets", "render"]

#: A SAS-style query parameter (`sig=` signature, `se=` expiry) in a URL or query string.
SAS_PARAMETER = re.compile(r"(?:[?&;\s\"']|^)(?:sig|se)=", re.IGNORECASE)
_FIXED = ("AccountKey=", "Bearer ", "Ocp-Apim-Subscription-Key: ")


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def capture_all_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger at DEBUG (a handler on the root logger); the root
    level and handlers are restored afterwards. Loggers that set their own level (like
    httpx's, which shared.speech keeps at WARNING) keep it: that is under test too."""
    root = logging.getLogger()
    collector = _Collector()
    level = root.level
    root.addHandler(collector)
    root.setLevel(logging.DEBUG)
    try:
        yield collector.records
    finally:
        root.removeHandler(collector)
        root.setLevel(level)


def render(record: logging.LogRecord) -> str:
    """Everything a log handler could write for a record: message, args, traceback."""
    parts = [record.getMessage(), repr(record.args), record.name]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def find_secrets(texts: Iterable[tuple[str, str]], secrets: Iterable[str]) -> list[str]:
    """`where: what` for every secret, fixed marker or SAS parameter found in (where, text)."""
    secrets = [s for s in secrets if s]
    found = []
    for where, text in texts:
        for secret in secrets:
            if secret in text:
                found.append(f"{where}: a secret ({secret[:4]}...)")
        for marker in _FIXED:
            if marker in text:
                found.append(f"{where}: {marker.strip()!r}")
        match = SAS_PARAMETER.search(text)
        if match:
            found.append(f"{where}: SAS parameter near {text[max(0, match.start() - 40) :][:80]!r}")
    return found
