"""Connection rows, read and written inside the caller's tenant transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from orion.connections.models import connections
from orion.tenants.models import tenants

_PUBLIC = [c for c in connections.c if c.name not in ("credentials", "webhook_secrets")]


async def ensure_tenant(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """Tenants come from the identity provider; the first connection creates the row."""
    await session.execute(
        pg_insert(tenants)
        .values(id=tenant_id, name=f"tenant {tenant_id}")
        .on_conflict_do_nothing(index_elements=[tenants.c.id])
    )


async def insert_connection(session: AsyncSession, values: dict[str, Any]) -> Row[Any]:
    statement = insert(connections).values(**values).returning(*_PUBLIC)
    return (await session.execute(statement)).one()


async def list_connections(session: AsyncSession) -> list[Row[Any]]:
    query = select(*_PUBLIC).order_by(connections.c.created_at, connections.c.id)
    return list((await session.execute(query)).all())


async def get_connection(
    session: AsyncSession,
    connection_id: uuid.UUID,
    *,
    with_secrets: bool = False,
    lock: bool = False,
) -> Row[Any] | None:
    columns = list(connections.c) if with_secrets else _PUBLIC
    query = select(*columns).where(connections.c.id == connection_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).first()


async def update_connection(
    session: AsyncSession, connection_id: uuid.UUID, values: dict[str, Any]
) -> Row[Any] | None:
    statement = (
        update(connections)
        .where(connections.c.id == connection_id)
        .values(**values, updated_at=func.now())
        .returning(*_PUBLIC)
    )
    return (await session.execute(statement)).first()


async def delete_connection(session: AsyncSession, connection_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(connections).where(connections.c.id == connection_id).returning(connections.c.id)
    )
    return result.first() is not None
