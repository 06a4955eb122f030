"""Output helpers for the command line: tables, times, and scrubbing of secrets.

Everything the CLI prints goes through `strip_query` / `redact_job`: result links are SAS
URLs, and their query string (the signature) must never reach a terminal or a log.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "between",
    "duration",
    "elapsed",
    "iso_duration_ms",
    "print_json",
    "redact_job",
    "scrub",
    "strip_query",
    "table",
    "timestamp",
]

_URL = re.compile(r"https?://[^\s\"'<>]+")
_ISO_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def strip_query(url: str) -> str:
    """The URL without its query string and fragment (a SAS token lives in the query)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def scrub(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with the query of every URL removed and every known secret masked."""
    text = _URL.sub(lambda match: strip_query(match.group(0)), text)
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def redact_job(job: dict[str, Any]) -> dict[str, Any]:
    """A service job document with the query stripped from every URL it carries."""

    def clean(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return strip_query(value)
        if isinstance(value, dict):
            return {key: clean(item) for key, item in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        return value

    return clean(job)


def print_json(value: Any, out: TextIO) -> None:
    json.dump(value, out, indent=2, ensure_ascii=False)
    out.write("\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO) -> None:
    """A plain left-aligned table; the last column is not padded."""
    cells = [[str(header) for header in headers]]
    cells += [["" if value is None else str(value) for value in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        padded = [value.ljust(width) for value, width in zip(row[:-1], widths, strict=False)]
        out.write("  ".join([*padded, row[-1]]).rstrip() + "\n")


def timestamp(value: str | None) -> str:
    """An ISO 8601 service time as ``YYYY-MM-DD HH:MM:SS`` (UTC), or '-'."""
    if not value:
        return "-"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def duration(milliseconds: float | None) -> str:
    """Milliseconds of audio as ``1:02:03.4`` / ``2:03.4`` / ``3.4 s``, or '-'."""
    if milliseconds is None:
        return "-"
    seconds = milliseconds / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:04.1f}"
    return f"{minutes}:{seconds:04.1f}"


def iso_duration_ms(value: str | None) -> float | None:
    """An ISO 8601 duration (``PT5M57.252S``, the Long Audio API's) in milliseconds, or None."""
    match = _ISO_DURATION.match(value or "")
    if not value or not match or value in ("P", "PT"):
        return None
    parts = {key: float(number) for key, number in match.groupdict().items() if number}
    scale = {"d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000}
    return sum(number * scale[key] for key, number in parts.items())


def elapsed(seconds: float) -> str:
    """Wall-clock seconds as ``m:ss`` (or ``h:mm:ss``)."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def between(start: str | None, end: str | None) -> float | None:
    """Seconds from one ISO 8601 time to another, or None."""
    if not start or not end:
        return None
    try:
        first = datetime.fromisoformat(start.replace("Z", "+00:00"))
        last = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (last - first).total_seconds()
