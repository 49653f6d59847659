"""HTTP hardening: security headers, trusted hosts, CORS answers and body limits.

Headers come from the maintained ``secure`` library; the small middlewares here exist because
every refusal must use Orion's JSON error model and carry the request id, and because they sit
on every request: they encode what they add once, at start-up (``secure``'s own ASGI
middleware re-encodes its policy on every response, a measurable share of a webhook's cost).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

import secure
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orion.platform.errors import error_response
from orion.platform.request_context import current_request_id, header

#: The dashboard is same-origin static files with no inline code, so 'self' is all it needs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
)
HSTS_SECONDS = 63_072_000  # two years, the preload list's minimum is one


def security_policy(*, hsts: bool) -> secure.Secure:
    """The headers every response carries; HSTS only where TLS is guaranteed (deployed)."""
    return secure.Secure(
        csp=secure.ContentSecurityPolicy().set(CONTENT_SECURITY_POLICY),
        hsts=secure.StrictTransportSecurity().max_age(HSTS_SECONDS).include_subdomains()
        if hsts
        else None,
        xfo=secure.XFrameOptions().deny(),
        xcto=secure.XContentTypeOptions().nosniff(),
        referrer=secure.ReferrerPolicy().strict_origin_when_cross_origin(),
        permissions=secure.PermissionsPolicy().camera().microphone().geolocation().payment().usb(),
        corp=secure.CrossOriginResourcePolicy().same_origin(),
        coop=secure.CrossOriginOpenerPolicy().same_origin(),
        custom=[secure.CustomHeader("X-XSS-Protection", "0")],
    )


def security_headers(*, hsts: bool) -> dict[str, str]:
    """The same headers as a mapping (vercel.json must serve the dashboard with these)."""
    return dict(security_policy(hsts=hsts).headers)


class SecurityHeadersMiddleware:
    """Adds the policy's headers to every HTTP response, replacing any of the same name.

    As in ``secure``, a Content-Security-Policy set by a route is kept and ours added too:
    browsers enforce every policy sent, so the result is never weaker than ours.
    """

    def __init__(self, app: ASGIApp, policy: secure.Secure) -> None:
        self.app = app
        self._headers = [
            (name.lower().encode("ascii"), value.encode("latin-1"))
            for name, value in policy.headers.items()
        ]
        self._names = frozenset(name for name, _ in self._headers) - {b"content-security-policy"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() not in self._names
                ]
                message["headers"] = kept + self._headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CompressionMiddleware(GZipMiddleware):
    """Starlette's gzip, skipped outright for clients that do not accept gzip.

    Webhook senders and most API clients do not ask for it; for them the wrapper would only
    cost time on every response.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"accept-encoding" and b"gzip" in value:
                    await super().__call__(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _json_refusal(status: int, code: str, message: str) -> Response:
    return error_response(status, code, message, current_request_id())


class TrustedHostMiddleware:
    """Answers only for the configured Host names; an empty list accepts any host."""

    def __init__(self, app: ASGIApp, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self._allowed = {host.lower() for host in allowed_hosts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._allowed:
            host = (header(scope, b"host") or "").split(":")[0].lower()
            if host not in self._allowed:
                response = _json_refusal(400, "invalid_host", "Invalid Host header.")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS handling, with refused preflights in the JSON error model."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode() or "Disallowed CORS request."
        refusal = _json_refusal(response.status_code, "cors_refused", reason)
        refusal.headers["Vary"] = "Origin"
        return refusal


class BodyTooLarge(Exception):
    """The request body grew past the limit while being read."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, refusing to hold more than ``limit`` bytes of it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class BodyLimitMiddleware:
    """413 for bodies over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No length announced (chunked): read up to the limit, then replay.
        try:
            body = await read_body(receive, self.max_bytes)
        except BodyTooLarge:
            await self._refuse(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"Request body exceeds {self.max_bytes} bytes."
        await _json_refusal(413, "payload_too_large", message)(scope, receive, send)


def bearer_matches(authorization: str | None, expected: str) -> bool:
    """Constant-time check of an ``Authorization: Bearer`` header."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(authorization[7:].strip().encode(), expected.encode())
