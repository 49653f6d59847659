"""``orion ops proxy``: zero-downtime release replacement on one machine.

Railway overlaps and drains releases for us; a self-hosted machine needs something in front of
two release slots that does the same. This is that something, deliberately small: an ASGI
reverse proxy (served by uvicorn, forwarding with httpx) that

- routes only to backends whose ``/health/ready`` passes (:mod:`orion.ops.proxy_backends`),
  so a release enters rotation once ready and leaves it the moment it starts draining;
- retries a request on another backend when the connection fails: always if the request
  could not be sent (connect refused), and for idempotent methods also when the connection
  broke before a response came back. A POST whose fate is unknown is never sent twice;
- buffers request bodies (bounded) so a retry can resend them, and streams responses back
  unchanged (compressed bytes included).

Replacing release A by B: start B in the idle slot, wait until it is ready, SIGTERM A. A
answers readiness 503 at once, the proxy stops routing to it within one probe interval, and A
finishes what it has in flight before it exits (docs/deployment.md, "Self-hosted").
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

import httpx
import structlog
from starlette.types import Message, Receive, Scope, Send

from orion.ops.proxy_backends import Backend, BackendPool
from orion.platform.errors import error_response
from orion.platform.security import BodyTooLarge, read_body

_log = structlog.get_logger("orion.proxy")
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
#: Safe to send twice (RFC 9110 §9.2.2): a retry after a broken connection cannot double-act.
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def _end_to_end(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Headers minus hop-by-hop ones and those the Connection header names."""
    pairs = [(name.lower(), value) for name, value in raw]
    named = {
        token.strip().lower().encode()
        for name, value in pairs
        if name == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    return [(n, v) for n, v in pairs if n.decode() not in HOP_BY_HOP and n not in named]


def forwarded_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The client's headers for the backend, with X-Forwarded-* describing the client."""
    headers = [(n, v) for n, v in _end_to_end(scope["headers"]) if n != b"content-length"]
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    previous = [v.decode("latin-1") for n, v in headers if n == b"x-forwarded-for"]
    chain = ", ".join([*previous, peer])
    headers = [(n, v) for n, v in headers if n not in (b"x-forwarded-for", b"x-forwarded-proto")]
    headers.append((b"x-forwarded-for", chain.encode("latin-1")))
    headers.append((b"x-forwarded-proto", str(scope.get("scheme", "http")).encode()))
    return headers


def new_client(read_timeout: float, connect_timeout: float = 2.0) -> httpx.AsyncClient:
    """A forwarding client that adds no headers of its own (no Accept-Encoding, no UA)."""
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        follow_redirects=False,
        trust_env=False,
    )
    for name in list(client.headers):
        del client.headers[name]
    return client


class ProxyApp:
    """The ASGI application: lifespan starts the probes, each request is forwarded."""

    def __init__(
        self, pool: BackendPool, client: httpx.AsyncClient, *, max_body_bytes: int
    ) -> None:
        self.pool = pool
        self.client = client
        self.max_body_bytes = max_body_bytes
        self._prober: asyncio.Task[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._forward(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.pool.probe_all()  # know who is ready before the first request
                self._prober = asyncio.create_task(self.pool.run())
                _log.info("proxy_started", backends=[b.url for b in self.pool.backends])
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._prober is not None:
                    self._prober.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await self._prober
                await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1") or None
        try:
            body = await read_body(receive, self.max_body_bytes)
        except BodyTooLarge:
            message = f"Request body exceeds {self.max_body_bytes} bytes."
            refusal = error_response(413, "payload_too_large", message, request_id)
            await refusal(scope, receive, send)
            return
        method = scope["method"]
        target = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        path = target.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        headers = forwarded_headers(scope)
        tried: set[str] = set()
        while (backend := self.pool.choose(tried)) is not None:
            tried.add(backend.url)
            request = self.client.build_request(
                method, backend.url + path, headers=headers, content=body
            )
            try:
                response = await self.client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                self._unreachable(backend, method, retried=True)
                continue  # nothing was sent: any method may go elsewhere
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                retry = method in IDEMPOTENT
                self._unreachable(backend, method, retried=retry)
                if retry:
                    continue
                break
            except httpx.TimeoutException:
                timeout = error_response(504, "upstream_timeout", "Upstream timed out.", request_id)
                await timeout(scope, receive, send)
                return
            await self._relay(response, send)
            return
        refusal = error_response(
            502 if tried else 503,
            "upstream_unavailable",
            "No release could answer; retry shortly.",
            request_id,
            headers={"Retry-After": "1"},
        )
        await refusal(scope, receive, send)

    def _unreachable(self, backend: Backend, method: str, *, retried: bool) -> None:
        self.pool.mark_down(backend)
        _log.info("proxy_connection_failed", backend=backend.url, method=method, retried=retried)

    async def _relay(self, response: httpx.Response, send: Send) -> None:
        """Stream the backend's answer through; a backend dying mid-body aborts the reply."""
        try:
            start: Message = {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": _end_to_end(response.headers.raw),
            }
            await send(start)
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()
