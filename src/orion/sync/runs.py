"""sync_runs and sync_cursors rows, inside the caller's tenant transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from orion.connections.models import connections
from orion.sync.models import sync_cursors, sync_runs


async def create_run(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    workflow_id: str,
    trigger: str,
) -> uuid.UUID:
    run_id: uuid.UUID | None = await session.scalar(
        insert(sync_runs)
        .values(
            tenant_id=tenant_id,
            connection_id=connection_id,
            workflow_id=workflow_id,
            trigger=trigger,
        )
        .returning(sync_runs.c.id)
    )
    assert run_id is not None
    return run_id


async def lock_cursor(
    session: AsyncSession, tenant_id: uuid.UUID, connection_id: uuid.UUID, kind: str
) -> str | None:
    """The stored cursor, row-locked until the transaction ends (serialises page writers)."""
    await session.execute(
        pg_insert(sync_cursors)
        .values(connection_id=connection_id, tenant_id=tenant_id, kind=kind, cursor=None)
        .on_conflict_do_nothing(index_elements=[sync_cursors.c.connection_id, sync_cursors.c.kind])
    )
    cursor: str | None = await session.scalar(
        select(sync_cursors.c.cursor)
        .where(sync_cursors.c.connection_id == connection_id, sync_cursors.c.kind == kind)
        .with_for_update()
    )
    return cursor


async def read_cursor(session: AsyncSession, connection_id: uuid.UUID, kind: str) -> str | None:
    cursor: str | None = await session.scalar(
        select(sync_cursors.c.cursor).where(
            sync_cursors.c.connection_id == connection_id, sync_cursors.c.kind == kind
        )
    )
    return cursor


async def store_cursor(
    session: AsyncSession, connection_id: uuid.UUID, kind: str, cursor: str | None
) -> None:
    await session.execute(
        update(sync_cursors)
        .where(sync_cursors.c.connection_id == connection_id, sync_cursors.c.kind == kind)
        .values(cursor=cursor, updated_at=func.now())
    )


async def add_progress(
    session: AsyncSession, run_id: uuid.UUID, *, records: int, deleted: int, gap: bool
) -> None:
    await session.execute(
        update(sync_runs)
        .where(sync_runs.c.id == run_id)
        .values(
            pages=sync_runs.c.pages + 1,
            records_upserted=sync_runs.c.records_upserted + records,
            records_deleted=sync_runs.c.records_deleted + deleted,
            gap=sync_runs.c.gap | gap,
            updated_at=func.now(),
        )
    )


async def finish_run(
    session: AsyncSession,
    run_id: uuid.UUID,
    connection_id: uuid.UUID,
    status: str,
    error: str | None,
) -> None:
    await session.execute(
        update(sync_runs)
        .where(sync_runs.c.id == run_id, sync_runs.c.status == "running")
        .values(status=status, error=error, finished_at=func.now(), updated_at=func.now())
    )
    if status == "completed":
        await session.execute(
            update(connections)
            .where(connections.c.id == connection_id)
            .values(last_synced_at=func.now())
        )


async def list_runs(
    session: AsyncSession,
    *,
    connection_id: uuid.UUID | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Row[Any]]:
    query = select(sync_runs)
    if connection_id is not None:
        query = query.where(sync_runs.c.connection_id == connection_id)
    if before is not None:
        query = query.where(tuple_(sync_runs.c.started_at, sync_runs.c.id) < tuple_(*before))
    query = query.order_by(sync_runs.c.started_at.desc(), sync_runs.c.id.desc()).limit(limit)
    return list((await session.execute(query)).all())


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> Row[Any] | None:
    return (await session.execute(select(sync_runs).where(sync_runs.c.id == run_id))).first()
