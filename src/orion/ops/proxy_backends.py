"""The proxy's view of its backends: which ones are ready, probed on a short interval.

Routing follows readiness, exactly as Railway's health check does: a release is in rotation
while ``/health/ready`` answers 200. A release that got SIGTERM answers 503 at once
(``platform/shutdown.py``) but keeps serving for ``API_SHUTDOWN_DRAIN_SECONDS``; the next
probe takes it out of rotation, long before it stops accepting. That is why the drain must
outlast one probe interval plus the probe timeout.

When no backend is ready, requests still go to one that answers at all (draining, or
degraded): serving from a release on its way out beats answering 503 from the proxy.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass

import httpx
import structlog

_log = structlog.get_logger("orion.proxy")


@dataclass
class Backend:
    url: str
    ready: bool = False
    answering: bool = False  # answered the probe with any HTTP status
    release: str | None = None


class BackendPool:
    """Backends in a fixed order; ``choose`` round-robins over the ready ones."""

    def __init__(
        self,
        urls: list[str],
        client: httpx.AsyncClient,
        *,
        interval: float = 0.5,
        probe_timeout: float = 1.0,
        ready_path: str = "/health/ready",
    ) -> None:
        if not urls:
            raise ValueError("the proxy needs at least one backend")
        self.backends = [Backend(url.rstrip("/")) for url in urls]
        self.interval = interval
        self.probe_timeout = probe_timeout
        self._client = client
        self._ready_path = ready_path
        self._turn = itertools.count()

    def choose(self, exclude: set[str]) -> Backend | None:
        """The next ready backend not in ``exclude``, else one that at least answers."""
        for wanted in ("ready", "answering"):
            found = [b for b in self.backends if getattr(b, wanted) and b.url not in exclude]
            if found:
                return found[next(self._turn) % len(found)]
        return None

    def mark_down(self, backend: Backend) -> None:
        """A connection failed: out of rotation until a probe says otherwise."""
        if backend.ready or backend.answering:
            _log.warning("proxy_backend_unreachable", backend=backend.url)
        backend.ready = backend.answering = False

    async def probe(self, backend: Backend) -> None:
        try:
            response = await self._client.get(
                backend.url + self._ready_path, timeout=self.probe_timeout
            )
        except httpx.HTTPError:
            ready, answering, release = False, False, None
        else:
            ready, answering = response.status_code == 200, True
            try:
                body = response.json()
                release = body.get("releaseId") if isinstance(body, dict) else None
            except ValueError:
                release = None
        if ready != backend.ready:
            event = "proxy_backend_ready" if ready else "proxy_backend_not_ready"
            _log.info(event, backend=backend.url, release=release)
        backend.ready, backend.answering, backend.release = ready, answering, release

    async def probe_all(self) -> None:
        await asyncio.gather(*(self.probe(backend) for backend in self.backends))

    async def run(self) -> None:
        """Probe every backend each ``interval`` until cancelled."""
        while True:
            await self.probe_all()
            await asyncio.sleep(self.interval)


async def wait_until_ready(
    client: httpx.AsyncClient, url: str, *, deadline_seconds: float, interval: float = 0.2
) -> bool:
    """Poll ``url``/health/ready until it answers 200 (True) or time runs out (False)."""
    pool = BackendPool([url], client, probe_timeout=min(2.0, deadline_seconds))
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline_seconds
    while True:
        await pool.probe(pool.backends[0])
        if pool.backends[0].ready:
            return True
        if loop.time() >= end:
            return False
        await asyncio.sleep(interval)
