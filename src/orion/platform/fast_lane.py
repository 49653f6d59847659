"""A fast lane through the API for the few routes that carry most of the traffic.

A webhook delivery through FastAPI's full stack (its exception, exit-stack and routing layers,
CORS and compression) cost as much CPU as verifying and storing it (measured: about 690 us
per delivery in-process, 230 us of it the inbox itself). Provider webhooks are
server-to-server: they need no CORS answers, no compression of a 60-byte reply, no dependency
injection. So :class:`OrionFastAPI` hands the requests matching a :class:`FastRoute` to a short
stack built from the *same* middleware configuration as the app (request id, access log,
metrics, security headers, trusted hosts, rate limits, body limit; see
``entrypoints/api.py``), and everything else to FastAPI as usual. The fast routes are
registered with the router too, so other methods on their paths still get FastAPI's 405.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from orion.platform.errors import OrionError, orion_error_response
from orion.platform.request_context import current_request_id

Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class FastRoute:
    """``path`` is a Starlette path template (``/x/{name}``): the same matching as the router."""

    method: str
    path: str
    endpoint: Endpoint
    _compiled: tuple[Any, str, dict[str, Any]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", compile_path(self.path))

    def match(self, scope: Scope) -> dict[str, Any] | None:
        """The path parameters when this route serves the request, else ``None``."""
        if scope["method"] != self.method:
            return None
        regex, _, convertors = self._compiled
        found = regex.match(scope["path"])
        if found is None:
            return None
        return {name: convertors[name].convert(value) for name, value in found.groupdict().items()}


class _Endpoints:
    """The innermost app of the lane: the matched route's endpoint, errors in Orion's model."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: FastRoute = scope["route"]
        request = Request(scope, receive)
        try:
            response = await route.endpoint(request)
        except OrionError as exc:
            response = orion_error_response(exc, current_request_id())
        await response(scope, receive, send)


def build_lane(middleware: Sequence[Middleware]) -> ASGIApp:
    """``middleware`` outermost first, as in ``FastAPI.user_middleware``."""
    app: ASGIApp = _Endpoints()
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


class OrionFastAPI(FastAPI):
    """FastAPI, plus the fast lane for ``fast_routes`` once ``open_fast_lane`` is called."""

    fast_routes: tuple[FastRoute, ...] = ()
    _lane: ASGIApp | None = None

    def open_fast_lane(self, routes: Sequence[FastRoute], middleware: Sequence[Middleware]) -> None:
        self.fast_routes = tuple(routes)
        self._lane = build_lane(middleware)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._lane is not None and scope["type"] == "http":
            for route in self.fast_routes:
                params = route.match(scope)
                if params is not None:
                    scope["app"] = self
                    scope["route"] = route
                    scope["path_params"] = params
                    await self._lane(scope, receive, send)
                    return
        await super().__call__(scope, receive, send)
