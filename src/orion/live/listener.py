"""One LISTEN connection per API process, kept alive and re-established when it is lost.

The connection is a plain asyncpg connection outside the SQLAlchemy pool: it must stay
checked out for the life of the process. A session is required, so behind Supabase's
transaction-mode pooler (``:6543``) it uses the session-mode port of the same pooler (``:5432``).

Loss is detected two ways: asyncpg's termination callback (the server closed the session, e.g.
a failover or ``pg_terminate_backend``) and a ``SELECT 1`` every ``keepalive_seconds`` (a
half-open TCP connection never reports anything). Whenever listening resumes after a gap (a
lost session, or a first connection that took more than one attempt) ``on_resync`` runs,
because notifications sent while nobody listened are gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog

from orion.live.notifications import CHANNEL, Change, parse_change
from orion.platform.config import Settings
from orion.platform.db import libpq_url

_log = structlog.get_logger("orion.live")
TRANSACTION_POOLER_PORT = 6543
SESSION_POOLER_PORT = 5432
_FAILURES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


def listen_dsn(settings: Settings) -> str | None:
    """The DSN to LISTEN on: ``DATABASE_URL``, moved to session mode behind a pooler."""
    if settings.database.url is None:
        return None
    url = libpq_url(settings.database.url.get_secret_value())
    parts = urlsplit(url)
    if settings.database.transaction_pooler and parts.port == TRANSACTION_POOLER_PORT:
        netloc = parts.netloc.rsplit(":", 1)[0] + f":{SESSION_POOLER_PORT}"
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


class ChangeListener:
    def __init__(
        self,
        dsn: str,
        on_change: Callable[[Change], None],
        on_resync: Callable[[], None],
        *,
        keepalive_seconds: float = 15.0,
        timeout_seconds: float = 5.0,
        max_backoff_seconds: float = 10.0,
    ) -> None:
        self._dsn = dsn
        self._on_change = on_change
        self._on_resync = on_resync
        self._keepalive = keepalive_seconds
        self._timeout = timeout_seconds
        self._max_backoff = max_backoff_seconds
        self._listening = asyncio.Event()
        self._missed = False  # notifications may have been lost since the last session began
        self.connections = 0  # sessions opened so far (reconnections are visible in tests)

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    async def wait_listening(self, within: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), within)
        return self.listening

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with capped exponential backoff."""
        failures = 0
        while True:
            try:
                await self._session()
                failures = 0
            except _FAILURES as exc:
                self._missed = True
                failures += 1
                _log.warning("live_listener_lost", error=type(exc).__name__, failures=failures)
            except Exception:  # anything else: log it, but never let live updates die quietly
                self._missed = True
                failures += 1
                _log.exception("live_listener_failed", failures=failures)
            finally:
                if self._listening.is_set():
                    self._missed = True
                self._listening.clear()
            await asyncio.sleep(min(self._max_backoff, 0.25 * 2**failures))

    async def _session(self) -> None:
        connection: Any = await asyncpg.connect(
            self._dsn,
            timeout=self._timeout,
            server_settings={"application_name": "orion-live"},
        )
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def terminated(_connection: object) -> None:
            if not lost.done():
                lost.set_result(None)

        try:
            connection.add_termination_listener(terminated)
            await connection.add_listener(CHANNEL, self._deliver)
            self.connections += 1
            self._listening.set()
            if self._missed:
                self._missed = False
                self._on_resync()
            _log.info("live_listening", channel=CHANNEL, session=self.connections)
            while not lost.done():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(lost), self._keepalive)
                if not lost.done():
                    await asyncio.wait_for(connection.fetchval("SELECT 1"), self._timeout)
            _log.warning("live_listener_terminated")
        finally:
            connection.terminate()

    def _deliver(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        change = parse_change(payload)
        if change is None:
            _log.warning("live_notification_malformed", size=len(payload))
            return
        self._on_change(change)
