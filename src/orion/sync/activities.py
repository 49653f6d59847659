"""Sync activities: all I/O of a sync, built with their dependencies (no globals).

``sync_page`` is the heart: read the stored cursor, fetch a page (a few provider pages,
``SYNC_PAGES_PER_ACTIVITY``) from the provider, then in ONE transaction upsert the records,
advance the cursor (compare-and-set) and count the progress. A retry after a crash therefore
either finds the old cursor (nothing was applied: the page is fetched again) or the new one
(everything was applied: the next page is fetched), so no page is skipped and none is applied
twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import structlog
from pydantic import SecretStr
from temporalio import activity
from temporalio.exceptions import ApplicationError

from orion.connections.providers import ConnectorFactory
from orion.connections.repository import update_connection
from orion.connectors.base import Connector
from orion.connectors.errors import BadCredentials, Permanent, RateLimited, Transient
from orion.platform.crypto import Vault, VaultError
from orion.platform.db import Database
from orion.records.repository import mark_unlisted_deleted, upsert_records
from orion.records.unified import Customer, Invoice, Kind, Provider
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


@dataclass
class Batch:
    records: list[Customer | Invoice]
    next_cursor: str | None
    has_more: bool
    gap: bool = False
    pages: int = 0
    retry_after: float | None = None  # the batch stopped early on a provider rate limit
    listed_before: datetime | None = None  # the batch ends a full re-list after a gap


class SyncActivities:
    def __init__(
        self,
        database: Database,
        vault: Vault,
        connectors: ConnectorFactory,
        metrics: SyncMetrics | None = None,
        *,
        pages_per_activity: int = 20,
    ) -> None:
        self._db = database
        self._vault = vault
        self._connectors = connectors
        self._metrics = metrics
        self._pages_per_activity = pages_per_activity

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
            state = await runs.read_state(session, connection_id, data.kind)
        if state is None:
            return PageResult(has_more=False, stopped="the connection was deleted")
        if state.status != "active":
            return PageResult(has_more=False, stopped=f"the connection is {state.status}")
        provider = Provider(state.provider)
        started = time.perf_counter()
        async with heartbeating(state.cursor):
            batch = await self._fetch(
                tenant, connection_id, provider, state.credentials, kind, state.cursor
            )
        async with self._db.tenant_transaction(tenant) as session:
            current = await runs.lock_cursor(session, tenant, connection_id, data.kind)
            if current != state.cursor:
                # Another attempt already applied this page: applying it again would be a no-op
                # at best; the workflow simply asks for the next page.
                return PageResult(has_more=True)
            applied = await upsert_records(
                session, tenant, connection_id, kind, batch.records, apply_ties=True
            )
            if batch.listed_before is not None:
                swept = await mark_unlisted_deleted(
                    session, connection_id, kind, batch.listed_before
                )
                applied.upserted += swept
                applied.deleted += swept
                _log.warning(
                    "sync_gap_sweep",
                    connection_id=data.connection_id,
                    kind=data.kind,
                    deleted=swept,
                )
            await runs.advance(
                session,
                connection_id=connection_id,
                kind=data.kind,
                cursor=batch.next_cursor,
                run_id=uuid.UUID(data.run_id),
                pages=batch.pages,
                records=applied.upserted,
                deleted=applied.deleted,
                gap=batch.gap,
            )
        if batch.gap:
            _log.warning("sync_gap", connection_id=data.connection_id, kind=data.kind)
        if self._metrics is not None:
            elapsed = time.perf_counter() - started
            self._metrics.page(provider.value, kind.value, len(batch.records), elapsed)
        activity.heartbeat(batch.next_cursor)
        return PageResult(
            has_more=batch.has_more,
            records=applied.upserted,
            deleted=applied.deleted,
            gap=batch.gap,
            retry_after_seconds=batch.retry_after,
        )

    async def _read_batch(self, connector: Connector, kind: Kind, cursor: str | None) -> Batch:
        """Up to ``pages_per_activity`` connector pages, applied together in one transaction.

        Fewer, larger transactions amortise the fixed cost of an activity and a commit; the
        guarantees are those of a single page, since the batch's records and its final cursor
        are committed together or not at all. A retryable failure after the first page ends
        the batch early instead of failing it, so a provider that throttles every other
        request still lets the sync move forward.
        """
        batch = Batch(records=[], next_cursor=cursor, has_more=True)
        while batch.pages < self._pages_per_activity and batch.has_more:
            try:
                page = await connector.list_page(kind, batch.next_cursor)
            except (RateLimited, Transient) as exc:
                if batch.pages == 0:
                    raise
                # Keep what was read; the workflow waits out the provider's Retry-After
                # (a durable timer) before the next activity continues from here.
                if isinstance(exc, RateLimited):
                    batch.retry_after = exc.retry_after
                return batch
            batch.records.extend(page.records)
            batch.next_cursor = page.next_cursor
            batch.has_more = page.has_more
            batch.gap = batch.gap or page.gap
            batch.listed_before = page.listed_before or batch.listed_before
            batch.pages += 1
        return batch

    async def _fetch(
        self,
        tenant: uuid.UUID,
        connection_id: uuid.UUID,
        provider: Provider,
        sealed: bytes,
        kind: Kind,
        cursor: str | None,
    ) -> Batch:
        try:
            credential = SecretStr(self._vault.open(sealed).decode())
        except VaultError as exc:
            raise ApplicationError(str(exc), type="VaultError", non_retryable=True) from None
        connector = self._connectors.build(provider, credential)
        try:
            return await self._read_batch(connector, kind, cursor)
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
