"""Expiring, signed download URLs for results (like a blob SAS: `?se=...&sig=...`).

The signature is an HMAC-SHA256 over the path and the expiry with a random per-process
secret, so URLs die when the emulator restarts, when `se` passes (403
AuthenticationFailed, like Blob storage) or when the job is deleted or expires (404).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

__all__ = ["Signer"]


class Signer:
    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def _sig(self, path: str, expiry: str) -> str:
        mac = hmac.new(self._secret, f"{path}\n{expiry}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def query(self, path: str, expires_at: datetime) -> str:
        expiry = expires_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"sv=emulator&sr=b&sp=r&se={expiry}&sig={self._sig(path, expiry)}"

    def verify(self, path: str, expiry: str | None, sig: str | None, now: datetime) -> str | None:
        """None if valid, else 'invalid' or 'expired'."""
        if not expiry or not sig or not hmac.compare_digest(self._sig(path, expiry), sig):
            return "invalid"
        try:
            when = datetime.strptime(expiry, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return "invalid"
        return "expired" if now >= when else None
