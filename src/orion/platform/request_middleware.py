"""Per-request bookkeeping: request id, access log, HTTP metrics, last-resort 500.

This is the outermost Orion middleware (only the security headers wrap it), so refusals by
the inner ones — bad host, CORS, oversized body — are logged, counted and carry the id too.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orion.platform.errors import error_response
from orion.platform.metrics import UNMATCHED_ROUTE, HttpMetrics
from orion.platform.request_context import accept_request_id, header, set_request_id

_log = structlog.get_logger("orion.http")
_access = logging.getLogger("orion.http")


def route_template(scope: Scope) -> str:
    """The matched route's path template (set by the router on the shared scope)."""
    route: Any = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(path, str):
        return str(scope.get("root_path", "")) + path
    return UNMATCHED_ROUTE


def _is_event_stream(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(
        k.lower() == b"content-type" and v.startswith(b"text/event-stream") for k, v in headers
    )


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics, *, expose_errors: bool) -> None:
        self.app = app
        self.metrics = metrics
        self.expose_errors = expose_errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_request_id(header(scope, b"x-request-id"))
        set_request_id(request_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False
        stream_opened: float | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started, stream_opened
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", request_id.encode())]
                if _is_event_stream(headers):
                    stream_opened = time.perf_counter()
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            _log.exception("unhandled_error", method=scope["method"], path=scope["path"])
            if not response_started:
                message = "Internal server error."
                if self.expose_errors:
                    message = f"{type(exc).__name__}: {exc}"
                response = error_response(500, "internal_error", message, request_id)
                await response(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            # An event stream stays open for minutes by design: its latency is the time to open
            # it, else its lifetime would read as slowness in p95 (and trip `orion guard`).
            latency = elapsed if stream_opened is None else stream_opened - started
            self.metrics.observe(scope["method"], route, status, latency)
            if _access.isEnabledFor(logging.INFO):  # else not even the event is built
                _log.info(
                    "http_request",
                    method=scope["method"],
                    route=route,
                    path=scope["path"],
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.clear_contextvars()
            set_request_id(None)
