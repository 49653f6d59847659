"""Map every exception FastAPI can raise onto the one JSON error model."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from orion.platform.errors import OrionError, error_response, orion_error_response
from orion.platform.request_context import current_request_id

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    503: "service_unavailable",
}


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and why, never the submitted value (it may be a credential)."""
    return [
        {"location": [str(part) for part in error.get("loc", ())], "message": error.get("msg")}
        for error in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    async def orion_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OrionError)
        return orion_error_response(exc, current_request_id())

    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = _STATUS_CODES.get(exc.status_code, "error" if exc.status_code < 500 else "server")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return error_response(
            exc.status_code, code, message, current_request_id(), headers=exc.headers
        )

    async def validation_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(
            422,
            "validation_failed",
            "The request is not valid.",
            current_request_id(),
            details=_validation_details(exc),
        )

    app.add_exception_handler(OrionError, orion_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
