"""HTTP routes: the batch synthesis API (api-version 2024-04-01), the voice list, the Long
Audio API v3.0 (`longaudio.py`), and the emulator's own `/emulator/*` endpoints (stats,
faults, reset, result downloads).

Every API request goes through `guard`: stats, slow-response fault, auth, rate limit,
injected 429/500/503, api-version check — in that order — then the handler. A `Surface`
holds what differs between the batch and Long Audio APIs in that guard: the rate limiter,
the error body, the throttling message and the stats prefix. Nothing here logs a key, an
Authorization header or a SAS query string.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator import API_VERSION
from emulator.config import Config
from emulator.errors import ApiError, ErrorCode, error_response
from emulator.faults import Faults
from emulator.longaudio import THROTTLED, LongAudio, render_error
from emulator.ratelimit import RateLimiter
from emulator.signing import Signer
from emulator.store import Job, Store, now_utc
from emulator.validation import query_integer, valid_id, validate_create
from emulator.voices import voice_list

__all__ = ["Surface", "create_app"]

logger = logging.getLogger(__name__)

_UNAUTHORIZED = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
    "provide a valid key for an active subscription and use a correct regional API "
    "endpoint for your resource."
)
_STATUS_CODES = {
    429: (ErrorCode.TOO_MANY_REQUESTS, "Too many requests (injected fault)."),
    500: (ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error (injected fault)."),
    503: (ErrorCode.SERVICE_UNAVAILABLE, "The service is unavailable (injected fault)."),
}

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class Surface:
    """What one API surface brings to the shared guard (auth and faults are shared)."""

    limiter: RateLimiter
    render: Callable[[ApiError], Response] = error_response
    throttled: str = "Too many requests. Please retry after the time in Retry-After."
    prefix: str = ""  # of the operation names in /emulator/stats


def _jwt_shaped(token: str) -> bool:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error):
        return False
    return isinstance(header, dict) and "alg" in header


class Emulator:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.faults = Faults(config.faults)
        self.limiter = RateLimiter(config.rate_limit, config.rate_window)
        self.store = Store(config, self.faults)
        self.signer = Signer()
        self.requests: Counter[tuple[str, int]] = Counter()
        self.batch = Surface(self.limiter)
        self.long_audio = LongAudio(config, self.store, self.signer, _blob_error)
        self.long_audio_surface = Surface(
            self.long_audio.limiter, render_error, THROTTLED, "longaudio."
        )

    # ----- the guard every API request passes
    def _authorize(self, request: Request) -> None:
        key = self.config.key
        if key is None:
            return
        given = request.headers.get("ocp-apim-subscription-key")
        if given is not None:
            if hmac.compare_digest(given.encode(), key.encode()):
                return
            raise ApiError(401, ErrorCode.UNAUTHORIZED, _UNAUTHORIZED)
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            token = token.strip()
            if self.config.bearer_token is not None:
                if hmac.compare_digest(token.encode(), self.config.bearer_token.encode()):
                    return
            elif _jwt_shaped(token):
                return
        raise ApiError(401, ErrorCode.UNAUTHORIZED, _UNAUTHORIZED)

    def guard(
        self,
        operation: str,
        handler: Handler,
        versioned: bool = True,
        surface: Surface | None = None,
    ) -> Handler:
        surface = surface or self.batch

        async def endpoint(request: Request) -> Response:
            try:
                delay = self.faults.delay_seconds()
                if delay:
                    await asyncio.sleep(delay)
                self._authorize(request)
                retry = surface.limiter.check()
                if retry is not None:
                    raise ApiError(
                        429,
                        ErrorCode.TOO_MANY_REQUESTS,
                        surface.throttled,
                        headers={"Retry-After": str(retry)},
                    )
                fault = self.faults.request_fault(operation)
                if fault is not None:
                    code, message = _STATUS_CODES[fault]
                    headers = {"Retry-After": "1"} if fault in (429, 503) else {}
                    raise ApiError(fault, code, message, headers=headers)
                if versioned:
                    version = request.query_params.get("api-version")
                    if not version:
                        raise ApiError(
                            400,
                            ErrorCode.BAD_REQUEST,
                            "The 'api-version' query parameter is required.",
                            "MissingApiVersion",
                        )
                    if version != API_VERSION:
                        raise ApiError(
                            400,
                            ErrorCode.BAD_REQUEST,
                            f"The api-version '{version}' is not supported; use {API_VERSION}.",
                            "UnsupportedApiVersion",
                        )
                response = await handler(request)
            except ApiError as error:
                response = surface.render(error)
            self.requests[(surface.prefix + operation, response.status_code)] += 1
            return response

        return endpoint

    # ----- helpers
    @staticmethod
    def _base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _path_id(self, request: Request) -> str:
        job_id = request.path_params["id"]
        if not valid_id(job_id):
            raise ApiError(
                400,
                ErrorCode.BAD_ARGUMENT,
                "The id must be 3-64 characters: letters, digits, '-', '_' or '.', "
                "starting and ending with a letter or digit.",
                "InvalidId",
            )
        return job_id

    def _body(self, request: Request, job: Job) -> dict:
        url = None
        if job.zipped is not None:
            path = f"/emulator/results/{job.id}/{job.token}/results.zip"
            query = self.signer.query(path, self.store.url_expiry(job))
            url = f"{self._base(request)}{path}?{query}"
        return job.resource(url)

    # ----- API handlers
    async def create(self, request: Request) -> Response:
        job_id = self._path_id(request)
        operation_id = request.headers.get("operation-id")
        if operation_id is not None and not valid_id(operation_id):
            raise ApiError(
                400,
                ErrorCode.BAD_ARGUMENT,
                "The Operation-Id header must be 3-64 characters: letters, digits, '-', '_' "
                "or '.', starting and ending with a letter or digit.",
                "InvalidOperationId",
            )
        raw = await request.body()
        definition = validate_create(
            raw, request.headers.get("content-type"), self.config.max_payload_bytes
        )
        fingerprint = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
        job, body = self.store.create(
            job_id, operation_id or str(uuid.uuid4()), definition, fingerprint
        )
        location = (
            f"{self._base(request)}/texttospeech/operations/{job.operation_id}"
            f"?api-version={API_VERSION}"
        )
        logger.info("job %s created (%d inputs)", job.id, len(definition["inputs"]))
        return JSONResponse(
            body,
            status_code=201,
            headers={"Operation-Id": job.operation_id, "Operation-Location": location},
        )

    async def get(self, request: Request) -> Response:
        return JSONResponse(self._body(request, self.store.get(self._path_id(request))))

    async def delete(self, request: Request) -> Response:
        self.store.delete(self._path_id(request))
        return Response(status_code=204)

    async def list(self, request: Request) -> Response:
        skip = query_integer(request.query_params, "skip", 0, 0, 2**31 - 1)
        size = query_integer(request.query_params, "maxpagesize", 100, 1, 100)
        jobs = self.store.list()
        page = jobs[skip : skip + size]
        body: dict = {"value": [self._body(request, j) for j in page]}
        if skip + size < len(jobs):
            body["nextLink"] = (
                f"{self._base(request)}/texttospeech/batchsyntheses?skip={skip + size}"
                f"&maxpagesize={size}&api-version={API_VERSION}"
            )
        return JSONResponse(body)

    async def operation(self, request: Request) -> Response:
        operation_id = request.path_params["id"]
        if not valid_id(operation_id):
            raise ApiError(400, ErrorCode.BAD_ARGUMENT, "Invalid operation id.", "InvalidId")
        job = self.store.operation(operation_id)
        return JSONResponse({"id": operation_id, "status": job.status})

    async def voices(self, request: Request) -> Response:
        return JSONResponse(voice_list())

    # ----- emulator endpoints (no auth, no rate limit)
    async def stats(self, request: Request) -> Response:
        by_op: dict[str, dict[str, int]] = {}
        for (op, status), count in sorted(self.requests.items()):
            by_op.setdefault(op, {})[str(status)] = count
        return JSONResponse(
            {
                "requests": by_op,
                "jobs": self.store.counts(),
                "processed": dict(self.store.processed),
                "faults": self.faults.settings.as_json(),
                "rateLimit": {"limit": self.limiter.limit, "windowSeconds": self.limiter.window},
                "longAudio": {
                    "jobs": self.long_audio.counts(),
                    "rateLimit": {
                        "limit": self.long_audio.limiter.limit,
                        "windowSeconds": self.long_audio.limiter.window,
                    },
                },
            }
        )

    async def set_faults(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            if isinstance(body, dict) and ("rate_limit" in body or "rate_window" in body):
                limit, window = body.pop("rate_limit", None), body.pop("rate_window", None)
                if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
                    raise ValueError("rate_limit must be an integer")
                if window is not None and (
                    isinstance(window, bool) or not isinstance(window, int | float) or window <= 0
                ):
                    raise ValueError("rate_window must be a positive number")
                self.limiter.configure(limit, window)
            if isinstance(body, dict) and "long_audio_rate_limit" in body:
                limit = body.pop("long_audio_rate_limit")
                if isinstance(limit, bool) or not isinstance(limit, int):
                    raise ValueError("long_audio_rate_limit must be an integer")
                self.long_audio.limiter.configure(limit)
            settings = self.faults.update(body)
        except (ValueError, TypeError) as exc:
            return error_response(ApiError(400, ErrorCode.BAD_REQUEST, str(exc)))
        return JSONResponse(settings.as_json())

    async def get_faults(self, request: Request) -> Response:
        return JSONResponse(self.faults.settings.as_json())

    async def reset(self, request: Request) -> Response:
        self.store.reset()
        self.requests.clear()
        self.limiter.configure()
        self.long_audio.limiter.configure()
        return Response(status_code=204)

    async def download(self, request: Request) -> Response:
        job_id, token = request.path_params["id"], request.path_params["token"]
        path = request.url.path
        job = self.store.find_result(job_id, token)
        if job is None or request.path_params["name"] != "results.zip":
            return _blob_error(404, "BlobNotFound", "The specified blob does not exist.")
        problem = self.signer.verify(
            path, request.query_params.get("se"), request.query_params.get("sig"), now_utc()
        )
        if problem == "expired":
            return _blob_error(403, "AuthenticationFailed", "Signed expiry time has passed.")
        if problem:
            return _blob_error(403, "AuthenticationFailed", "Signature did not match.")
        return Response(
            job.zipped,
            media_type="application/zip",
            headers={"x-ms-blob-type": "BlockBlob"},
        )


def _blob_error(status: int, code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return Response(body, status, media_type="application/xml", headers={"x-ms-error-code": code})


async def _not_found(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 404)
    if status == 405:
        return error_response(
            ApiError(
                405, ErrorCode.BAD_REQUEST, f"The method {request.method} is not allowed here."
            )
        )
    return error_response(ApiError(404, ErrorCode.NOT_FOUND, "Resource not found."))


def create_app(config: Config) -> Starlette:
    emu = Emulator(config)
    g = emu.guard
    routes = [
        Route(
            "/texttospeech/batchsyntheses",
            g("list", emu.list),
            methods=["GET"],
        ),
        Route("/texttospeech/batchsyntheses/{id}", g("create", emu.create), methods=["PUT"]),
        Route("/texttospeech/batchsyntheses/{id}", g("get", emu.get), methods=["GET"]),
        Route("/texttospeech/batchsyntheses/{id}", g("delete", emu.delete), methods=["DELETE"]),
        Route("/texttospeech/operations/{id}", g("operation", emu.operation), methods=["GET"]),
        Route(
            "/cognitiveservices/voices/list",
            g("voices", emu.voices, versioned=False),
            methods=["GET"],
        ),
        Route("/emulator/stats", emu.stats, methods=["GET"]),
        Route("/emulator/faults", emu.set_faults, methods=["POST"]),
        Route("/emulator/faults", emu.get_faults, methods=["GET"]),
        Route("/emulator/reset", emu.reset, methods=["POST"]),
        Route("/emulator/results/{id}/{token}/{name}", emu.download, methods=["GET"]),
        *emu.long_audio.routes(
            lambda op, handler: g(op, handler, versioned=False, surface=emu.long_audio_surface)
        ),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette):
        emu.store.start()
        try:
            yield
        finally:
            emu.store.stop()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _not_found},
    )
    app.state.emulator = emu
    return app
