"""sync_runs and sync_cursors rows, inside the caller's tenant transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, text, tuple_, update
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


async def read_state(
    session: AsyncSession, connection_id: uuid.UUID, kind: str
) -> Row[Any, Any, Any, Any] | None:
    """The connection (status, provider, sealed credential) and the kind's cursor, in one query."""
    query = (
        select(
            connections.c.status,
            connections.c.provider,
            connections.c.credentials,
            sync_cursors.c.cursor,
        )
        .select_from(
            connections.outerjoin(
                sync_cursors,
                (sync_cursors.c.connection_id == connections.c.id) & (sync_cursors.c.kind == kind),
            )
        )
        .where(connections.c.id == connection_id)
    )
    return (await session.execute(query)).first()


async def lock_cursor(
    session: AsyncSession, tenant_id: uuid.UUID, connection_id: uuid.UUID, kind: str
) -> str | None:
    """The stored cursor, row-locked until the transaction ends (serialises page writers).

    Creating the row if needed and locking it is one round trip: a no-op ON CONFLICT UPDATE
    takes the row lock and RETURNING hands back the cursor.
    """
    statement = pg_insert(sync_cursors).values(
        connection_id=connection_id, tenant_id=tenant_id, kind=kind, cursor=None
    )
    statement = statement.on_conflict_do_update(
        index_elements=[sync_cursors.c.connection_id, sync_cursors.c.kind],
        set_={"tenant_id": sync_cursors.c.tenant_id},
    )
    cursor: str | None = await session.scalar(statement.returning(sync_cursors.c.cursor))
    return cursor


_ADVANCE = text(
    """
    WITH moved AS (
        UPDATE sync_cursors SET cursor = :cursor, updated_at = now()
        WHERE connection_id = :connection_id AND kind = :kind
    )
    UPDATE sync_runs
    SET pages = pages + :pages, records_upserted = records_upserted + :records,
        records_deleted = records_deleted + :deleted, gap = gap OR :gap, updated_at = now()
    WHERE id = :run_id
    """
)


async def advance(
    session: AsyncSession,
    *,
    connection_id: uuid.UUID,
    kind: str,
    cursor: str | None,
    run_id: uuid.UUID,
    pages: int,
    records: int,
    deleted: int,
    gap: bool,
) -> None:
    """Move the cursor and count the progress in one round trip."""
    await session.execute(
        _ADVANCE,
        {
            "cursor": cursor,
            "connection_id": connection_id,
            "kind": kind,
            "run_id": run_id,
            "pages": pages,
            "records": records,
            "deleted": deleted,
            "gap": gap,
        },
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
