"""Cross-cutting HTTP behaviour of the provider APIs, as one ASGI middleware.

For every Stripe (`/v1/...`) or HubSpot (`/crm/...`, `/account-info/...`) request it
attributes the request to an account by its credentials, applies that account's fault
plan (latency, 429 with `Retry-After`, 5xx, redirect, connection reset), enforces
HubSpot's rate limits, adds the provider's response headers (`Request-Id` and
`Stripe-Version`; `X-HubSpot-RateLimit-*`) and records the answer's status for the
fault counters. Route handlers stay free of all this.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orion.emulator.faults import FaultPlan, FaultRule, Provider
from orion.emulator.hubspot.errors import error_body, rate_limit_body
from orion.emulator.ids import request_id
from orion.emulator.state import EmulatorState
from orion.emulator.stripe.errors import api_error, rate_limited
from orion.emulator.stripe.routes import stripe_api_key

#: Scope key under which `EmulatorFastAPI` leaves the connection's transport.
TRANSPORT_SCOPE_KEY = "orion.emulator.transport"
TRAP_PREFIX = "/_emulator/redirect-trap"


def provider_for_path(path: str) -> Provider | None:
    if path.startswith("/v1/"):
        return "stripe"
    if path.startswith(("/crm/", "/account-info/")):
        return "hubspot"
    return None


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _path_and_query(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    path: str = scope["path"]
    return path + (f"?{query}" if query else "")


def default_redirect_location(scope: Scope) -> str:
    """The same emulator under another host name, on a path that only counts hits."""
    server = scope.get("server") or ("127.0.0.1", 80)
    host = "localhost" if server[0] != "localhost" else "127.0.0.1"
    return f"http://{host}:{server[1]}{TRAP_PREFIX}{_path_and_query(scope)}"


class EmulatorMiddleware:
    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        provider = provider_for_path(scope["path"])
        if provider is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        extra: dict[str, str] = {}
        key: str | None
        if provider == "stripe":
            rid = request_id()
            scope.setdefault("state", {})["request_id"] = rid
            key = stripe_api_key(headers.get("authorization"))
            account = self.state.stripe_account(key) if key else None
            extra["Request-Id"] = rid
            version = headers.get("stripe-version") or (
                account.info.api_version if account else None
            )
            if version:
                extra["Stripe-Version"] = version
            known = account is not None
        else:
            key = bearer_token(headers.get("authorization"))
            known = key is not None and self.state.hubspot_portal(key) is not None
        if not known or key is None:
            await self._forward(scope, receive, send, extra, None)
            return
        portal = self.state.hubspot_portal(key) if provider == "hubspot" else None
        if portal is not None:
            extra.update(portal.limiter.headers())
        plan = self.state.faults.plan(provider, key)
        method, target = scope["method"], _path_and_query(scope)
        decision = plan.decide(method, target)
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000)
        if decision.fault is not None:
            status = await self._inject(decision.fault, provider, scope, send, extra)
            retry_after = str(decision.fault.retry_after) if status == 429 else None
            plan.observe(method, target, status, retry_after)
            return
        if portal is not None:
            is_search = method == "POST" and scope["path"].endswith("/search")
            verdict = portal.limiter.check(search=is_search)
            extra.update(verdict.headers)
            if not verdict.allowed and verdict.policy is not None:
                await _respond(send, 429, rate_limit_body(verdict.policy), extra)
                plan.observe(method, target, 429, None)
                return
        await self._forward(scope, receive, send, extra, plan)

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        extra: dict[str, str],
        plan: FaultPlan | None,
    ) -> None:
        answer: dict[str, Any] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [
                    (name.lower().encode(), value.encode())
                    for name, value in extra.items()
                    if name.lower().encode() not in present
                ]
                retry = dict(message.get("headers", [])).get(b"retry-after")
                answer["retry_after"] = retry.decode() if retry else None
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
        if plan is not None:
            plan.observe(
                scope["method"],
                _path_and_query(scope),
                answer.get("status"),
                answer.get("retry_after"),
            )

    async def _inject(
        self, rule: FaultRule, provider: Provider, scope: Scope, send: Send, extra: dict[str, str]
    ) -> int | None:
        """Answer with the fault; returns the status sent (None for a reset)."""
        if rule.kind == "reset":
            await reset_connection(scope)
            return None
        if rule.kind == "redirect":
            location = rule.location or default_redirect_location(scope)
            await _respond(send, rule.redirect_status, None, {**extra, "Location": location})
            return rule.redirect_status
        if rule.kind == "rate_limit":
            headers = {**extra, "Retry-After": str(rule.retry_after)}
            if provider == "stripe":
                error = rate_limited()
                body = error.to_body(extra.get("Request-Id"))
            else:
                body = rate_limit_body("SECONDLY")
            await _respond(send, 429, body, headers)
            return 429
        if provider == "stripe":
            body = api_error().to_body(extra.get("Request-Id"))
        else:
            body = error_body("internal error", "INTERNAL_ERROR")
        await _respond(send, rule.status, body, extra)
        return rule.status


async def _respond(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    payload = b"" if body is None else orjson.dumps(body)
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    raw.append((b"content-length", str(len(payload)).encode()))
    if body is not None:
        raw.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


async def reset_connection(scope: Scope) -> None:
    """Close the TCP connection with a RST and no response at all.

    Needs the transport `EmulatorFastAPI` puts in the scope (uvicorn); without one (an
    in-process ASGI client) the closest equivalent is an exception in the client."""
    transport = scope.get(TRANSPORT_SCOPE_KEY)
    if transport is None:
        raise ConnectionResetError("emulated connection reset")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    # Let the server notice the disconnect before the app returns, so it does not try
    # to write a 500 to the closed connection.
    for _ in range(3):
        await asyncio.sleep(0)
