"""API errors as the service returns them: `{"error": {"code", "message"}}` + `x-ms-error-code`.

Top-level codes are the spec's `ErrorCode` values. Where a client needs to tell two 400s
apart (an id that already exists vs. an invalid request), a stable detail code is carried
in `error.innererror.code` (the spec's `InnerError`), e.g. `AlreadyExists`.

    ApiError(status, code, message, inner=None, headers=None)
"""

from __future__ import annotations

from starlette.responses import JSONResponse

__all__ = ["ApiError", "ErrorCode", "error_response"]


class ErrorCode:
    BAD_REQUEST = "BadRequest"
    BAD_ARGUMENT = "BadArgument"
    UNAUTHORIZED = "Unauthorized"
    FORBIDDEN = "Forbidden"
    NOT_FOUND = "NotFound"
    UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
    TOO_MANY_REQUESTS = "TooManyRequests"
    INTERNAL_SERVER_ERROR = "InternalServerError"
    SERVICE_UNAVAILABLE = "ServiceUnavailable"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        inner: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.inner = inner
        self.headers = headers or {}


def error_response(error: ApiError) -> JSONResponse:
    body: dict = {"code": error.code, "message": error.message}
    if error.inner:
        body["innererror"] = {"code": error.inner, "message": error.message}
    headers = {"x-ms-error-code": error.code, **error.headers}
    return JSONResponse({"error": body}, status_code=error.status, headers=headers)
