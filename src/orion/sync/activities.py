"""Sync activities: all I/O of a sync, built with their dependencies (no globals).

``sync_page`` is the heart: read the stored cursor, fetch one page from the provider, then in
ONE transaction upsert the records, advance the cursor (compare-and-set) and count the
progress. A retry after a crash therefore either finds the old cursor (nothing was applied:
the page is fetched again) or the new one (everything was applied: the next page is fetched),
so no page is skipped and none is applied twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Protocol

import structlog
from pydantic import SecretStr
from temporalio import activity
from temporalio.exceptions import ApplicationError

from orion.connections.providers import ConnectorFactory
from orion.connections.repository import get_connection, update_connection
from orion.connectors.base import Page
from orion.connectors.errors import BadCredentials, Permanent, RateLimited, Transient
from orion.platform.crypto import Vault, VaultError
from orion.platform.db import Database
from orion.records.repository import upsert_records
from orion.records.unified import Kind, Provider
from orion.sync import runs
from orion.sync.inputs import FinishRunInput, PageInput, PageResult, StartRunInput

_log = structlog.get_logger("orion.sync")


class SyncMetrics(Protocol):
    def page(self, provider: str, kind: str, records: int, seconds: float) -> None: ...

    def rate_limited(self, provider: str, kind: str) -> None: ...


HEARTBEAT_EVERY_SECONDS = 3.0


@asynccontextmanager
async def heartbeating(details: object) -> AsyncIterator[None]:
    """Heartbeat while a slow provider call runs, so a short heartbeat timeout can detect a
    dead worker quickly without failing a live one."""

    async def beat() -> None:
        while True:
            activity.heartbeat(details)
            await asyncio.sleep(HEARTBEAT_EVERY_SECONDS)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


class SyncActivities:
    def __init__(
        self,
        database: Database,
        vault: Vault,
        connectors: ConnectorFactory,
        metrics: SyncMetrics | None = None,
    ) -> None:
        self._db = database
        self._vault = vault
        self._connectors = connectors
        self._metrics = metrics

    @activity.defn(name="sync.start_run")
    async def start_run(self, data: StartRunInput) -> str:
        tenant = uuid.UUID(data.tenant_id)
        async with self._db.tenant_transaction(tenant) as session:
            run_id = await runs.create_run(
                session, tenant, uuid.UUID(data.connection_id), data.workflow_id, data.trigger
            )
        return str(run_id)

    @activity.defn(name="sync.finish_run")
    async def finish_run(self, data: FinishRunInput) -> None:
        async with self._db.tenant_transaction(uuid.UUID(data.tenant_id)) as session:
            await runs.finish_run(
                session,
                uuid.UUID(data.run_id),
                uuid.UUID(data.connection_id),
                data.status,
                data.error,
            )

    @activity.defn(name="sync.page")
    async def sync_page(self, data: PageInput) -> PageResult:
        tenant, connection_id = uuid.UUID(data.tenant_id), uuid.UUID(data.connection_id)
        kind = Kind(data.kind)
        async with self._db.tenant_transaction(tenant) as session:
            connection = await get_connection(session, connection_id, with_secrets=True)
            cursor = await runs.read_cursor(session, connection_id, data.kind)
        if connection is None:
            return PageResult(has_more=False, stopped="the connection was deleted")
        if connection.status != "active":
            return PageResult(has_more=False, stopped=f"the connection is {connection.status}")
        provider = Provider(connection.provider)
        started = time.perf_counter()
        async with heartbeating(cursor):
            page = await self._fetch(
                tenant, connection_id, provider, connection.credentials, kind, cursor
            )
        async with self._db.tenant_transaction(tenant) as session:
            current = await runs.lock_cursor(session, tenant, connection_id, data.kind)
            if current != cursor:
                # Another attempt already applied this page: applying it again would be a no-op
                # at best; the workflow simply asks for the next page.
                return PageResult(has_more=True)
            applied = await upsert_records(
                session, tenant, connection_id, kind, page.records, apply_ties=True
            )
            await runs.store_cursor(session, connection_id, data.kind, page.next_cursor)
            await runs.add_progress(
                session,
                uuid.UUID(data.run_id),
                records=applied.upserted,
                deleted=applied.deleted,
                gap=page.gap,
            )
        if page.gap:
            _log.warning("sync_gap", connection_id=data.connection_id, kind=data.kind)
        if self._metrics is not None:
            elapsed = time.perf_counter() - started
            self._metrics.page(provider.value, kind.value, len(page.records), elapsed)
        activity.heartbeat(page.next_cursor)
        return PageResult(
            has_more=page.has_more,
            records=applied.upserted,
            deleted=applied.deleted,
            gap=page.gap,
        )

    async def _fetch(
        self,
        tenant: uuid.UUID,
        connection_id: uuid.UUID,
        provider: Provider,
        sealed: bytes,
        kind: Kind,
        cursor: str | None,
    ) -> Page:
        try:
            credential = SecretStr(self._vault.open(sealed).decode())
        except VaultError as exc:
            raise ApplicationError(str(exc), type="VaultError", non_retryable=True) from None
        connector = self._connectors.build(provider, credential)
        try:
            return await connector.list_page(kind, cursor)
        except BadCredentials as exc:
            await self._needs_reauth(tenant, connection_id, exc.message)
            raise ApplicationError(exc.message, type="BadCredentials", non_retryable=True) from None
        except RateLimited as exc:
            if self._metrics is not None:
                self._metrics.rate_limited(provider.value, kind.value)
            raise ApplicationError(
                exc.message,
                type="RateLimited",
                next_retry_delay=timedelta(seconds=max(exc.retry_after, 0.1)),
            ) from None
        except Transient as exc:
            raise ApplicationError(exc.message, type="Transient") from None
        except Permanent as exc:
            raise ApplicationError(exc.message, type="Permanent", non_retryable=True) from None
        finally:
            await connector.aclose()

    async def _needs_reauth(self, tenant: uuid.UUID, connection_id: uuid.UUID, reason: str) -> None:
        async with self._db.tenant_transaction(tenant) as session:
            await update_connection(
                session, connection_id, {"status": "needs_reauth", "status_reason": reason}
            )
        _log.warning("connection_needs_reauth", connection_id=str(connection_id))
