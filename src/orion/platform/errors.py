"""One error model for every HTTP answer that is not a success.

Domain code raises an :class:`OrionError` subclass; one handler turns it into
``{"error": {"code", "message", "request_id"}}``. Expected business errors are 4xx and never
page anyone; 5xx bodies never carry internals outside development.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse


class OrionError(Exception):
    """Base of every error Orion answers deliberately."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(OrionError):
    status_code = 404
    code = "not_found"


class Conflict(OrionError):
    status_code = 409
    code = "conflict"


class Unauthorized(OrionError):
    status_code = 401
    code = "unauthorized"


class Forbidden(OrionError):
    status_code = 403
    code = "forbidden"


class Unprocessable(OrionError):
    status_code = 422
    code = "unprocessable"


class TooManyRequests(OrionError):
    status_code = 429
    code = "rate_limited"


class BadGateway(OrionError):
    """An upstream provider failed or is throttling us; the caller may retry later."""

    status_code = 502
    code = "provider_unavailable"


class ServiceUnavailable(OrionError):
    status_code = 503
    code = "service_unavailable"


def error_body(
    code: str, message: str, request_id: str | None, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": request_id}
    if details:
        error["details"] = details
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    request_id: str | None,
    *,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, request_id, details), status_code=status, headers=headers
    )


def orion_error_response(exc: OrionError, request_id: str | None) -> JSONResponse:
    """The answer to a deliberate error (any route, fast lane included)."""
    headers: Mapping[str, str] | None = getattr(exc, "headers", None)
    return error_response(
        exc.status_code, exc.code, exc.message, request_id, details=exc.details, headers=headers
    )
