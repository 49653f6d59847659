"""webhook_events rows. Everything runs inside the caller's transaction, except the insert.

Inserts are insert-or-ignore on (provider, connection_id, event_id) and take many rows per
statement (column arrays: one fixed SQL text, one round trip, whatever the count) through
``orion_store_webhook_events``, which switches ``app.tenant_id`` per tenant, so RLS checks
every row against the tenant it claims. It runs outside any transaction: that one statement
is the transaction (all rows or none).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asyncpg import DataError, IntegrityConstraintViolationError
from sqlalchemy import Row, and_, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from orion.platform.db import Database
from orion.webhooks.events import ParsedEvent
from orion.webhooks.models import webhook_events

_SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")
# One statement for a whole batch, any tenants: migration 0004 explains the function.
_STORE_SQL = """
    SELECT id, tenant_id, connection_id, provider, event_id
    FROM orion_store_webhook_events($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[],
                                    $6::text[], $7::timestamptz[], $8::text[], $9::bytea[],
                                    $10::text[])
"""
_MARK_DISPATCHED = text(
    """
    UPDATE webhook_events SET status = 'dispatched', dispatched_at = now()
    WHERE status = 'received'
      AND (id, replays) IN (SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:gens AS int[])))
    """
)
_UNDISPATCHED = text(
    "SELECT event_id, tenant_id FROM orion_undispatched_webhook_events(:older_than, :limit)"
)
_EVENT_TENANTS = text("SELECT event_id, tenant_id FROM orion_webhook_event_tenants(:ids)")
_DEAD = text("SELECT event_id, tenant_id FROM orion_dead_webhook_events(:limit)")


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One event for one connection, as the receiver verified and parsed it."""

    tenant_id: uuid.UUID
    connection_id: uuid.UUID
    provider: str
    event: ParsedEvent
    raw_body: bytes
    headers: str  # JSON object text

    @property
    def key(self) -> tuple[str, uuid.UUID, str]:
        return (self.provider, self.connection_id, self.event.event_id)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """What a dispatcher needs to hand a stored event to Temporal."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    connection_id: uuid.UUID
    provider: str
    event_id: str
    replays: int = 0

    @property
    def key(self) -> tuple[str, uuid.UUID, str]:
        return (self.provider, self.connection_id, self.event_id)


async def set_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    await session.execute(_SET_TENANT, {"tenant": str(tenant_id)})


def _by_tenant(rows: Iterable[Any]) -> dict[uuid.UUID, list[Any]]:
    groups: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row.tenant_id].append(row)
    return groups


async def insert_events(driver: Any, rows: Sequence[InboxRow]) -> list[StoredEvent]:
    """Insert what is new, all rows in one statement; return the rows actually inserted.

    ``driver`` is a pooled asyncpg connection outside any transaction
    (:func:`driver_connection`, :class:`HeldConnection`): the one statement commits on its own,
    all rows or none. This is the inbox's hot path: one prepared statement with column arrays,
    one round trip, costs a fraction of a compiled SQLAlchemy statement.
    """
    result = await driver.fetch(
        _STORE_SQL,
        [r.tenant_id for r in rows],
        [r.connection_id for r in rows],
        [r.provider for r in rows],
        [r.event.event_id for r in rows],
        [r.event.event_type for r in rows],
        [r.event.object_id for r in rows],
        [r.event.occurred_at for r in rows],
        [r.event.payload for r in rows],
        [r.raw_body for r in rows],
        [r.headers for r in rows],
    )
    return [
        StoredEvent(
            row["id"], row["tenant_id"], row["connection_id"], row["provider"], row["event_id"]
        )
        for row in result
    ]


@asynccontextmanager
async def driver_connection(database: Database) -> AsyncIterator[Any]:
    """The pooled asyncpg connection itself, with no transaction open (autocommit), for one
    :func:`insert_events`. A connection that failed mid-use is invalidated, never returned to
    the pool."""
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        try:
            yield raw.driver_connection
        except BaseException:
            await connection.invalidate()
            raise


class HeldConnection:
    """One pooled asyncpg connection kept across statements (autocommit), for a writer lane.

    Checking a connection out of the pool per batch cost a greenlet switch and the pool's
    bookkeeping on the path of every commit; a lane keeps its own instead. A connection whose
    statement failed or was cancelled is invalidated (its state is unknown) and the next
    statement takes a fresh one; one the database refused with a row error is kept.
    """

    def __init__(self, database: Database) -> None:
        self._db = database
        self._connection: AsyncConnection | None = None
        self._driver: Any = None

    @asynccontextmanager
    async def driver(self) -> AsyncIterator[Any]:
        if self._connection is None:
            connection = await self._db.engine.connect()
            try:
                self._driver = (await connection.get_raw_connection()).driver_connection
            except BaseException:
                await connection.invalidate()
                raise
            self._connection = connection
        try:
            yield self._driver
        except (IntegrityConstraintViolationError, DataError):
            raise  # the server refused a row and the connection is fine
        except BaseException:
            await self.close(invalidate=True)
            raise

    async def close(self, *, invalidate: bool = False) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is None:
            return
        with suppress(Exception):
            if invalidate:
                await connection.invalidate()
            await connection.close()


async def mark_dispatched(session: AsyncSession, events: Sequence[StoredEvent]) -> None:
    """``received`` -> ``dispatched`` for these generations (a newer replay is left alone)."""
    for tenant_id, group in _by_tenant(events).items():
        await set_tenant(session, tenant_id)
        await session.execute(
            _MARK_DISPATCHED, {"ids": [e.id for e in group], "gens": [e.replays for e in group]}
        )


async def undispatched(
    session: AsyncSession, older_than: timedelta, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(event, tenant) of events still ``received`` after ``older_than`` (any tenant)."""
    result = await session.execute(_UNDISPATCHED, {"older_than": older_than, "limit": limit})
    return [(row.event_id, row.tenant_id) for row in result]


async def event_tenants(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    result = await session.execute(_EVENT_TENANTS, {"ids": list(ids)})
    return [(row.event_id, row.tenant_id) for row in result]


async def dead_events(session: AsyncSession, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
    result = await session.execute(_DEAD, {"limit": limit})
    return [(row.event_id, row.tenant_id) for row in result]


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        row.id, row.tenant_id, row.connection_id, row.provider, row.event_id, row.replays
    )


async def lock_received(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[StoredEvent]:
    """The still-``received`` rows among ``ids`` no one else holds (several relays)."""
    query = (
        select(
            webhook_events.c.id,
            webhook_events.c.tenant_id,
            webhook_events.c.connection_id,
            webhook_events.c.provider,
            webhook_events.c.event_id,
            webhook_events.c.replays,
        )
        .where(webhook_events.c.id.in_(list(ids)), webhook_events.c.status == "received")
        .with_for_update(skip_locked=True)
    )
    return [_stored(row) for row in await session.execute(query)]


async def get_event(
    session: AsyncSession, event_id: uuid.UUID, *, lock: bool = False
) -> Row[Any] | None:
    query = select(webhook_events).where(webhook_events.c.id == event_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def finish(
    session: AsyncSession,
    event_id: uuid.UUID,
    generation: int,
    *,
    status: str,
    attempts: int,
    error: str | None,
) -> bool:
    """Record the outcome of processing (``processed`` or ``dead``) unless superseded."""
    values: dict[str, Any] = {"status": status, "attempts": attempts, "last_error": error}
    if status == "processed":
        values["processed_at"] = func.now()
    result = await session.execute(
        update(webhook_events)
        .where(
            webhook_events.c.id == event_id,
            webhook_events.c.replays == generation,
            webhook_events.c.status != "processed",
        )
        .values(**values)
        .returning(webhook_events.c.id)
    )
    return result.first() is not None


async def record_attempt(
    session: AsyncSession, event_id: uuid.UUID, generation: int, attempts: int, error: str
) -> None:
    await session.execute(
        update(webhook_events)
        .where(
            webhook_events.c.id == event_id,
            webhook_events.c.replays == generation,
            webhook_events.c.status != "processed",
        )
        .values(attempts=attempts, last_error=error)
    )


async def reset_for_replay(session: AsyncSession, event_id: uuid.UUID) -> StoredEvent | None:
    """``processed``/``dead`` -> ``received`` with the next replay generation.

    Concurrent replays of one event serialise on the row: the second finds it ``received``
    and changes nothing, so they collapse into one new workflow.
    """
    result = await session.execute(
        update(webhook_events)
        .where(
            webhook_events.c.id == event_id,
            webhook_events.c.status.in_(("processed", "dead")),
        )
        .values(
            status="received",
            attempts=0,
            last_error=None,
            dispatched_at=None,
            processed_at=None,
            replays=webhook_events.c.replays + 1,
        )
        .returning(
            webhook_events.c.id,
            webhook_events.c.tenant_id,
            webhook_events.c.connection_id,
            webhook_events.c.provider,
            webhook_events.c.event_id,
            webhook_events.c.replays,
        )
    )
    row = result.first()
    return None if row is None else _stored(row)


@dataclass(frozen=True)
class EventFilters:
    status: str | None = None
    provider: str | None = None
    connection_id: uuid.UUID | None = None


_LIST_COLUMNS = [
    c for c in webhook_events.c if c.name not in ("payload", "raw_body", "headers", "tenant_id")
]


async def list_events(
    session: AsyncSession,
    filters: EventFilters,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Row[Any]]:
    """Newest first, keyset-paginated on (received_at, id); never the bodies."""
    t = webhook_events.c
    query = select(*_LIST_COLUMNS)
    if filters.status is not None:
        # Inline, so the planner can use the partial index of dead events.
        query = query.where(t.status == bindparam("status", filters.status, literal_execute=True))
    if filters.provider is not None:
        query = query.where(t.provider == filters.provider)
    if filters.connection_id is not None:
        query = query.where(t.connection_id == filters.connection_id)
    if before is not None:
        at, row_id = before
        query = query.where((t.received_at < at) | and_(t.received_at == at, t.id < row_id))
    query = query.order_by(t.received_at.desc(), t.id.desc()).limit(limit)
    return list((await session.execute(query)).all())
