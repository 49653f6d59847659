"""A real Orion API on a socket (a browser cannot reach an in-process ASGI app), plus a worker.

The API (uvicorn and the app's lifespan) and the Temporal worker each run on their own event
loop in their own thread, with their own resources, as they are separate processes when
deployed: the worker's CPU-heavy start (workflow sandbox validation) and its activities never
stall the API's loop. The listening socket is bound by us to port 0 first, so there is never a
race for a "free" port. ``stop`` drains like a SIGTERM would (event streams say ``bye``) and
always joins both threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from orion.entrypoints.api import create_app
from orion.entrypoints.worker import build_worker
from orion.platform.auth import mint_development_token
from orion.platform.config import Settings
from orion.platform.resources import open_resources
from orion.platform.shutdown import DrainState
from orion.platform.temporal_client import connect_temporal

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class _Server(uvicorn.Server):
    """uvicorn's server, telling us when it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.ready.set()


class _LoopThread:
    """A thread running one coroutine on its own loop; ``started`` once it is up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stop_event: asyncio.Event | None = None
        self.started = threading.Event()
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self, main: Coroutine[Any, Any, None]) -> None:
        self._thread = threading.Thread(target=self._run, args=(main,), name=self.name)
        self._thread.daemon = True
        self._thread.start()

    def wait_started(self) -> None:
        if not self.started.wait(START_TIMEOUT) or self.error is not None:
            raise RuntimeError(f"the {self.name} did not start: {self.error!r}")

    def request_stop(self, extra: Any = None) -> None:
        loop, stop = self.loop, self.stop_event
        if loop is None or stop is None or loop.is_closed():
            return

        def stop_now() -> None:
            if extra is not None:
                extra()
            stop.set()

        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing to stop
            loop.call_soon_threadsafe(stop_now)

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            if self._thread.is_alive():
                raise RuntimeError(f"the {self.name} thread did not stop")

    def _run(self, main: Coroutine[Any, Any, None]) -> None:
        async def wrapped() -> None:
            self.loop = asyncio.get_running_loop()
            self.stop_event = asyncio.Event()
            await main

        try:
            asyncio.run(wrapped())
        except BaseException as exc:
            self.error = exc
        finally:
            self.started.set()  # never leave a waiter hanging


class ApiServer:
    def __init__(self, settings: Settings, *, worker: bool = True) -> None:
        self.settings = settings
        self.url = ""
        self.app: FastAPI | None = None
        self.drain = DrainState()
        self._api = _LoopThread("API server")
        self._worker = _LoopThread("worker") if worker else None
        self._server: _Server | None = None

    def token(self, tenant_id: uuid.UUID, ttl_seconds: int = 3600) -> str:
        supabase = self.settings.supabase
        assert supabase.jwt_secret is not None
        return mint_development_token(
            supabase.jwt_secret.get_secret_value(),
            tenant_id,
            ttl_seconds=ttl_seconds,
            audience=supabase.jwt_audience,
            tenant_claim=supabase.tenant_claim,
        )

    def headers(self, tenant_id: uuid.UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(tenant_id)}"}

    def start(self) -> ApiServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            if self._worker is not None:
                self._worker.start(self._work())
                self._worker.wait_started()
            self._api.start(self._serve(sock))
            self._api.wait_started()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        server = self._server

        def begin_shutdown() -> None:
            self.drain.begin()  # as on SIGTERM: event streams end, then uvicorn stops
            if server is not None:
                server.should_exit = True

        self._api.request_stop(begin_shutdown)
        if self._worker is not None:
            self._worker.request_stop()
        self._api.join()
        if self._worker is not None:
            self._worker.join()

    async def _serve(self, sock: socket.socket) -> None:
        resources = await open_resources(self.settings, "orion-web-test")
        try:
            self.app = create_app(self.settings, resources, drain=self.drain)
            config = uvicorn.Config(
                self.app,
                log_config=None,
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=5,
            )
            self._server = _Server(config)
            serving = asyncio.create_task(self._server.serve(sockets=[sock]))
            ready = asyncio.create_task(self._server.ready.wait())
            await asyncio.wait({serving, ready}, return_when=asyncio.FIRST_COMPLETED)
            ready.cancel()
            if serving.done():
                await serving  # raises what failed the startup
                raise RuntimeError("uvicorn stopped during startup")
            self._api.started.set()
            await serving
        finally:
            sock.close()
            await resources.close()

    async def _work(self) -> None:
        assert self._worker is not None
        resources = await open_resources(self.settings, "orion-web-test-worker")
        try:
            client = await connect_temporal(self.settings.temporal, lazy=False)
            async with build_worker(client, resources):
                self._worker.started.set()
                assert self._worker.stop_event is not None
                await self._worker.stop_event.wait()
        finally:
            await resources.close()


@contextmanager
def running_api(settings: Settings, *, worker: bool = True) -> Iterator[ApiServer]:
    server = ApiServer(settings, worker=worker).start()
    try:
        yield server
    finally:
        server.stop()
