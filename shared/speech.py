"""Azure Speech batch synthesis REST client (api-version 2024-04-01).

Auth is a subscription key when one is configured, otherwise a Microsoft Entra ID token
(`azure-identity`, scope ``https://cognitiveservices.azure.com/.default``) sent as Bearer.

429 and 5xx answers and transport failures are retried a few times with backoff that
honours ``Retry-After``; when the budget of one call is spent the client raises
`ThrottledError` / `TransientError` so that the caller can leave the work for a later
tick instead of blocking a function invocation. Other 4xx answers raise
`SpeechServiceError` with the service's error code.

Nothing here logs or raises a URL with a query string, a key or a token: result links are
SAS URLs, so errors about them name only the job.

The HTTP, auth, retry and error machinery is `RestClient`, which `shared.longaudio`'s
Long Audio client shares; `SpeechClient` adds the batch synthesis operations.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import IO, Any, Protocol, Self

import httpx

from shared.errors import SpeechServiceError, ThrottledError, TransientError

__all__ = [
    "API_VERSION",
    "TOKEN_SCOPE",
    "RestClient",
    "ServiceVoices",
    "SpeechClient",
    "TokenCredential",
]

logger = logging.getLogger(__name__)
# httpx logs every request line, query string included, at INFO; result links are SAS
# URLs, so its request log must stay off whatever level the host sets.
logging.getLogger("httpx").setLevel(logging.WARNING)

API_VERSION = "2024-04-01"
TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default"
_RETRYABLE = {429, 500, 502, 503, 504}
#: What may be retried when a request is not idempotent (a POST that creates something):
#: answers that say the request was not acted on, and failures before it was sent.
_RETRYABLE_UNSENT = {429, 503}
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TOKEN_REFRESH_MARGIN_S = 300
_VOICE_CACHE_S = 3600
_VOICE_RETRY_S = 60


class TokenCredential(Protocol):
    def get_token(self, *scopes: str) -> Any: ...


class RestClient:
    """HTTP, auth, retries, error mapping and result downloads for a Speech REST API.

    Subclasses name their API: `API_VERSION` (sent as ``api-version`` unless a URL has one;
    None: the version is in the path), `SERVICE` (the log prefix), `NOUN` (what download
    errors call an item) and `ERROR_ENVELOPE` (the key holding the error object of an
    error body; None: the body is the error object).
    """

    API_VERSION: str | None = None
    SERVICE = "speech"
    NOUN = "job"
    ERROR_ENVELOPE: str | None = "error"

    def __init__(
        self,
        endpoint: str,
        *,
        key: str | None = None,
        credential: TokenCredential | None = None,
        http: httpx.Client | None = None,
        max_attempts: int = 4,
        max_wait_s: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not key and credential is None:
            raise ValueError(f"{type(self).__name__} needs a key or a credential")
        self._base = endpoint.rstrip("/")
        self._key = key
        self._credential = credential
        self._token: Any = None
        self._http = http or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
        self._max_attempts = max_attempts
        self._max_wait_s = max_wait_s
        self._sleep = sleep
        #: Requests sent, by operation name; read by benchmarks and tests.
        self.request_counts: dict[str, int] = {}
        self._counts_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def download(self, item_id: str, url: str, sink: IO[bytes]) -> int:
        """Stream a result file (a SAS URL, no auth header) into `sink`; returns its size."""
        noun = self.NOUN
        for attempt in range(1, self._max_attempts + 1):
            sink.seek(0)
            sink.truncate()
            try:
                with self._http.stream("GET", url) as response:
                    if response.status_code in (403, 404):
                        raise SpeechServiceError(
                            response.status_code,
                            "ResultUnavailable",
                            f"the result of {noun} {item_id} can no longer be downloaded "
                            f"(its link expired or the {noun} was deleted)",
                        )
                    if response.status_code >= 400:
                        raise _retryable_error(item_id, response)
                    size = 0
                    for chunk in response.iter_bytes(1 << 20):
                        sink.write(chunk)
                        size += len(chunk)
                    return size
            except (httpx.TransportError, TransientError) as error:
                if attempt == self._max_attempts:
                    raise TransientError(
                        f"downloading the result of {noun} {item_id} failed"
                    ) from (error if isinstance(error, TransientError) else None)
                self._sleep(self._backoff(attempt, None))
        raise AssertionError("unreachable")

    # -- plumbing ------------------------------------------------------------------------

    def _send(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        allow_not_found: bool = False,
        idempotent: bool = True,
    ) -> httpx.Response:
        """One operation, retried as the budget allows. A request that is not `idempotent`
        is retried only when it cannot have been acted on (not sent, 429, 503)."""
        url = path if path.startswith("http") else self._base + path
        params = None
        if self.API_VERSION is not None and "api-version=" not in url:
            params = {"api-version": self.API_VERSION}
        retryable = _RETRYABLE if idempotent else _RETRYABLE_UNSENT
        for attempt in range(1, self._max_attempts + 1):
            with self._counts_lock:
                self.request_counts[operation] = self.request_counts.get(operation, 0) + 1
            try:
                response = self._http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data,
                    files=files,
                    headers=self._auth_headers(),
                )
            except httpx.TransportError as error:
                logger.warning(
                    "%s %s: %s (attempt %d)",
                    self.SERVICE,
                    operation,
                    type(error).__name__,
                    attempt,
                )
                if not idempotent and not isinstance(error, _NOT_SENT):
                    raise TransientError(
                        f"the speech service did not answer {operation} "
                        f"({type(error).__name__}); it may have been done anyway"
                    ) from None
                if attempt == self._max_attempts:
                    raise TransientError(
                        f"the speech service could not be reached ({type(error).__name__})"
                    ) from None
                self._sleep(self._backoff(attempt, None))
                continue
            if response.status_code < 400 or (allow_not_found and response.status_code == 404):
                return response
            if response.status_code not in _RETRYABLE:
                raise _service_error(response, self.ERROR_ENVELOPE)
            if response.status_code not in retryable:
                raise TransientError(
                    f"the speech service answered HTTP {response.status_code} ({operation}); "
                    "it may have been done anyway"
                )
            retry_after = _retry_after_seconds(response)
            logger.warning(
                "%s %s: HTTP %d (attempt %d, retry after %s s)",
                self.SERVICE,
                operation,
                response.status_code,
                attempt,
                retry_after,
            )
            wait = self._backoff(attempt, retry_after)
            if attempt == self._max_attempts or wait > self._max_wait_s:
                raise _retryable_error(operation, response)
            self._sleep(wait)
        raise AssertionError("unreachable")

    def _auth_headers(self) -> dict[str, str]:
        if self._key:
            return {"Ocp-Apim-Subscription-Key": self._key}
        if self._token is None or self._token.expires_on - time.time() < _TOKEN_REFRESH_MARGIN_S:
            self._token = self._credential.get_token(TOKEN_SCOPE)
        return {"Authorization": f"Bearer {self._token.token}"}

    @staticmethod
    def _backoff(attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return min(0.5 * 2 ** (attempt - 1), 8.0) * (0.5 + random.random() / 2)


class SpeechClient(RestClient):
    """A small, synchronous client for the batch synthesis operations speechdrop uses."""

    API_VERSION = API_VERSION

    # -- batch synthesis operations ------------------------------------------------------

    def create(self, job_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT a new job. Raises SpeechServiceError if the service refuses it."""
        response = self._send("create", "PUT", f"/texttospeech/batchsyntheses/{job_id}", json=body)
        return response.json()

    def get(self, job_id: str) -> dict[str, Any] | None:
        """The job, or None if the service does not know it (deleted or expired)."""
        response = self._send(
            "get", "GET", f"/texttospeech/batchsyntheses/{job_id}", allow_not_found=True
        )
        return None if response.status_code == 404 else response.json()

    def list(self, max_page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every job of the resource, newest pages first as the service returns them."""
        url: str | None = f"/texttospeech/batchsyntheses?maxpagesize={max_page_size}"
        while url:
            page = self._send("list", "GET", url).json()
            yield from page.get("value", [])
            url = page.get("nextLink")

    def delete(self, job_id: str) -> bool:
        """Delete a job; False if it was already gone."""
        response = self._send(
            "delete", "DELETE", f"/texttospeech/batchsyntheses/{job_id}", allow_not_found=True
        )
        return response.status_code != 404

    def voices(self) -> list[dict[str, Any]]:
        """The voice list of the resource's region."""
        return self._send("voices", "GET", "/cognitiveservices/voices/list").json()


class ServiceVoices:
    """The service's voice list as a `documents.VoiceCatalog`, cached for an hour.

    `is_known` answers None (cannot tell; the service will check) when the list cannot
    be had, unless `strict_auth` is set and the service refused the credentials.
    """

    def __init__(self, speech: SpeechClient, *, strict_auth: bool = False) -> None:
        self._speech = speech
        self._strict_auth = strict_auth
        self._names: frozenset[str] | None = None
        self._loaded_at = -_VOICE_CACHE_S
        self._lock = threading.Lock()

    def is_known(self, voice: str) -> bool | None:
        with self._lock:
            if time.monotonic() - self._loaded_at > _VOICE_CACHE_S:
                self._loaded_at = time.monotonic()
                try:
                    self._names = frozenset(v["ShortName"].lower() for v in self._speech.voices())
                except SpeechServiceError as error:
                    if self._strict_auth and error.status in (401, 403):
                        raise
                    self._unavailable(error.code)
                except (TransientError, KeyError, TypeError) as error:
                    self._unavailable(type(error).__name__)
            return None if self._names is None else voice.lower() in self._names

    def _unavailable(self, reason: str) -> None:
        logger.warning("voice list unavailable (%s); voices not checked for a minute", reason)
        self._names = None
        self._loaded_at = time.monotonic() - _VOICE_CACHE_S + _VOICE_RETRY_S


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error_code_and_message(
    response: httpx.Response, envelope: str | None = "error"
) -> tuple[str, str]:
    try:
        body = response.json()
        error = body.get(envelope, {}) if envelope else body.get("error", body)
        return str(error.get("code", "Unknown")), str(error.get("message", ""))[:500]
    except (ValueError, AttributeError):
        return "Unknown", response.reason_phrase


def _service_error(response: httpx.Response, envelope: str | None = "error") -> SpeechServiceError:
    code, message = _error_code_and_message(response, envelope)
    return SpeechServiceError(response.status_code, code, message)


def _retryable_error(what: str, response: httpx.Response) -> TransientError:
    if response.status_code == 429:
        return ThrottledError(
            f"the speech service is throttling requests ({what})", _retry_after_seconds(response)
        )
    return TransientError(f"the speech service answered HTTP {response.status_code} ({what})")
