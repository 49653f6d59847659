"""Zero downtime on one machine: ``orion ops proxy`` in front of two release slots.

The main test keeps a steady load (liveness and a signed-in read, about 30 requests a second)
on the proxy while release A is replaced by release B exactly as docs/deployment.md says:
start B in the idle slot, wait until it is ready, SIGTERM A. Not one request may fail, A must
exit cleanly after its drain, and the traffic must end on B. The tests after it pin the
proxy's rules on tiny in-process backends: connection failures are retried elsewhere (a POST
only when it was never sent), and only ready backends get traffic.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from orion.ops.proxy import ProxyApp, new_client
from orion.ops.proxy_backends import BackendPool
from orion.platform.auth import mint_development_token
from tests.fixtures.postgres import TestDatabase
from tests.ops.test_guard_drill import Processes, api_argv, api_env, free_port, processes

__all__ = ["processes"]  # the fixture, re-exported so pytest finds it here
DEV_JWT_SECRET = "orion-development-jwt-secret-do-not-use-elsewhere"  # development.env


@dataclass
class Observation:
    at: float
    kind: str
    status: int  # 0: no HTTP answer at all
    release: str | None = None
    error: str | None = None


@dataclass
class Load:
    seen: list[Observation] = field(default_factory=list)

    def failures(self) -> list[Observation]:
        return [o for o in self.seen if o.status != 200]

    def releases(self, since: float = 0.0) -> list[str | None]:
        return [o.release for o in self.seen if o.kind == "health" and o.at >= since]


@contextmanager
def steady_load(url: str, token: str, per_second: dict[str, float]) -> Iterator[Load]:
    """One thread per kind of request, each at its own steady rate, recording every answer."""
    load = Load()
    stop = threading.Event()
    requests = {
        "health": ("/health", {}),
        "customers": ("/api/v1/customers?limit=1", {"Authorization": f"Bearer {token}"}),
    }

    def run(kind: str) -> None:
        path, headers = requests[kind]
        pause = 1 / per_second[kind]
        with httpx.Client(base_url=url, timeout=10, headers=headers) as client:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    response = client.get(path)
                    release = response.json().get("releaseId") if kind == "health" else None
                    load.seen.append(Observation(began, kind, response.status_code, release))
                except (httpx.HTTPError, ValueError) as exc:
                    load.seen.append(Observation(began, kind, 0, error=repr(exc)))
                stop.wait(max(0.0, pause - (time.monotonic() - began)))

    threads = [threading.Thread(target=run, args=(kind,), daemon=True) for kind in per_second]
    for thread in threads:
        thread.start()
    try:
        yield load
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds:g}s waiting for {what}")
        time.sleep(0.05)


def status_of(url: str) -> int:
    try:
        return httpx.get(url, timeout=1).status_code
    except httpx.HTTPError:
        return 0


@pytest.mark.chaos
def test_replacing_the_release_behind_the_proxy_fails_no_request(
    processes: Processes, shared_database: TestDatabase, tmp_path: Path
) -> None:
    slot_a, slot_b, proxy_port = free_port(), free_port(), free_port()
    proxy = f"http://127.0.0.1:{proxy_port}"
    settings = {
        "DATABASE_URL": shared_database.app_url,
        "DATABASE_MIGRATION_URL": shared_database.owner_url,
        "API_SHUTDOWN_DRAIN_SECONDS": "2",  # > the proxy's check interval + timeout
        "API_SHUTDOWN_GRACE_SECONDS": "5",
        "RATELIMIT_READ": "100000/minute",  # the load is one tenant behind one proxy address
    }
    release_a = processes.start(
        api_argv(slot_a), {**api_env(), **settings, "RELEASE_ID": "release-a"}, tmp_path / "a.log"
    )
    backends = [f"--backend=http://127.0.0.1:{port}" for port in (slot_a, slot_b)]
    proxy_argv = [*api_argv(proxy_port)[:3], "ops", "proxy", "--port", str(proxy_port)]
    processes.start(
        [*proxy_argv, *backends, "--check-interval", "0.2", "--check-timeout", "0.5"],
        api_env(),
        tmp_path / "proxy.log",
    )
    wait_for(lambda: status_of(f"{proxy}/health/ready") == 200, 90, "release A behind the proxy")
    token = mint_development_token(
        DEV_JWT_SECRET, uuid.uuid4(), ttl_seconds=600, audience="authenticated",
        tenant_claim="app_metadata.tenant_id",
    )  # fmt: skip

    with steady_load(proxy, token, {"health": 20, "customers": 10}) as load:
        wait_for(lambda: len(load.seen) >= 30, 10, "the load to start")
        processes.start(
            api_argv(slot_b),
            {**api_env(), **settings, "RELEASE_ID": "release-b"},
            tmp_path / "b.log",
        )
        wait_for(
            lambda: status_of(f"http://127.0.0.1:{slot_b}/health/ready") == 200, 90, "release B"
        )
        os.killpg(release_a.pid, signal.SIGTERM)  # what systemd or a supervisor does
        assert release_a.wait(timeout=30) == 0, (tmp_path / "a.log").read_text()[-2000:]
        after_a = time.monotonic()
        wait_for(lambda: len(load.releases(since=after_a)) >= 20, 10, "traffic after A left")

    assert load.failures() == []
    served = load.releases()
    assert "release-a" in served and "release-b" in served
    assert set(load.releases(since=after_a)) == {"release-b"}
    assert sum(1 for o in load.seen if o.kind == "customers") >= 20
    assert len(load.seen) >= 100


# --- the proxy's rules, on tiny in-process backends ---------------------------------------


@dataclass
class FakeRelease:
    """A backend answering readiness as told and echoing every other request."""

    name: str
    ready: int = 200
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/health/ready":
            status, payload = self.ready, f'{{"releaseId": "{self.name}"}}'.encode()
        else:
            self.calls.append((scope["method"], scope["path"]))
            headers = {k.decode(): v.decode() for k, v in scope["headers"]}
            status = 200
            payload = (
                f'{{"release": "{self.name}", "body": {len(body)}, '
                f'"forwarded": "{headers.get("x-forwarded-for", "")}", '
                f'"host": "{headers.get("host", "")}", "te": "{headers.get("te", "")}"}}'
            ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"connection", b"x-hop"),
                    (b"x-hop", b"for the proxy only"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


@contextmanager
def serve(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, 10, "the fake release")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def hang_up_server() -> Iterator[str]:
    """Accepts a connection, reads the request, closes without answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            with suppress(TimeoutError, OSError):
                connection, _ = listener.accept()
                with connection:
                    connection.recv(65536)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@asynccontextmanager
async def proxied(*backends: str) -> AsyncIterator[tuple[httpx.AsyncClient, BackendPool]]:
    """The proxy app in-process (probes only when a test asks, so it sets readiness itself)."""
    forward = new_client(10)
    pool = BackendPool(list(backends), forward, interval=3600)
    app = ProxyApp(pool, forward, max_body_bytes=1024)
    transport = httpx.ASGITransport(app=app)
    async with forward, httpx.AsyncClient(transport=transport, base_url="http://orion.test") as c:
        yield c, pool


async def test_a_connection_refused_is_retried_on_another_release_for_any_method() -> None:
    live = FakeRelease("live")
    dead = f"http://127.0.0.1:{free_port()}"
    with serve(live) as live_url:
        async with proxied(dead, live_url) as (client, pool):
            for backend in pool.backends:
                backend.ready = True  # the dead one looks ready: it died since the last probe
            assert (await client.get("/api/v1/customers")).json()["release"] == "live"
            pool.backends[0].ready = True
            posted = await client.post("/api/v1/webhooks/stripe/x", content=b"{}")
            assert posted.status_code == 200 and posted.json()["body"] == 2
            assert pool.backends[0].ready is False  # out of rotation until a probe passes
    assert live.calls == [("GET", "/api/v1/customers"), ("POST", "/api/v1/webhooks/stripe/x")]


async def test_a_request_that_may_have_been_received_is_retried_only_if_idempotent() -> None:
    live = FakeRelease("live")
    with hang_up_server() as dropper, serve(live) as live_url:
        async with proxied(dropper, live_url) as (client, pool):
            for backend in pool.backends:
                backend.ready = True
            assert (await client.get("/x")).json()["release"] == "live"
        async with proxied(dropper, live_url) as (client, pool):
            for backend in pool.backends:
                backend.ready = True
            posted = await client.post("/api/v1/webhooks/stripe/x", content=b"{}")
            assert posted.status_code == 502
            assert posted.json()["error"]["code"] == "upstream_unavailable"
    assert live.calls == [("GET", "/x")]  # the POST was never sent twice


async def test_only_ready_releases_get_traffic_and_draining_ones_are_the_last_resort() -> None:
    draining, ready = FakeRelease("draining", ready=503), FakeRelease("ready")
    with serve(draining) as draining_url, serve(ready) as ready_url:
        async with proxied(draining_url, ready_url) as (client, pool):
            await pool.probe_all()
            assert [b.ready for b in pool.backends] == [False, True]
            answers = await asyncio.gather(*(client.get("/r") for _ in range(10)))
            assert {a.json()["release"] for a in answers} == {"ready"}
            ready.ready = 503  # both draining: the one still serving beats a 503 from the proxy
            await pool.probe_all()
            assert (await client.get("/r")).status_code == 200
    async with proxied(f"http://127.0.0.1:{free_port()}") as (client, pool):
        await pool.probe_all()
        refused = await client.get("/r")
        assert refused.status_code == 503 and refused.headers["retry-after"] == "1"


async def test_headers_are_forwarded_like_a_reverse_proxy_should() -> None:
    live = FakeRelease("live")
    with serve(live) as live_url:
        async with proxied(live_url) as (client, pool):
            await pool.probe_all()
            answer = await client.get(
                "/h", headers={"X-Forwarded-For": "203.0.113.9", "TE": "trailers"}
            )
            body = answer.json()
            assert body["forwarded"] == "203.0.113.9, 127.0.0.1"  # appended, never replaced
            assert body["host"] == "orion.test"  # the client's Host, for TRUSTED_HOSTS
            assert body["te"] == ""  # hop-by-hop headers stay on their hop
            assert "x-hop" not in answer.headers  # named by the backend's Connection header
            too_big = await client.post("/h", content=b"x" * 2048)
            assert too_big.status_code == 413
