"""Reading unified records: filters and keyset pagination over (updated_at, id)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from orion.platform.errors import NotFound
from orion.platform.pagination import decode_cursor, encode_cursor
from orion.records.repository import TABLES
from orion.records.unified import Kind, Provider


@dataclass(frozen=True)
class RecordFilters:
    connection_id: uuid.UUID | None = None
    provider: Provider | None = None
    updated_since: datetime | None = None
    email: str | None = None
    customer_external_id: str | None = None
    status: str | None = None
    include_deleted: bool = False


def _filtered(kind: Kind, filters: RecordFilters) -> Select[Any]:
    table = TABLES[kind]
    query = select(*(c for c in table.c if c.name not in ("raw", "tenant_id")))
    if filters.connection_id is not None:
        query = query.where(table.c.connection_id == filters.connection_id)
    if filters.provider is not None:
        query = query.where(table.c.provider == filters.provider.value)
    if filters.updated_since is not None:
        query = query.where(table.c.updated_at >= filters.updated_since)
    if not filters.include_deleted:
        query = query.where(table.c.deleted_at.is_(None))
    if kind is Kind.CUSTOMER and filters.email is not None:
        query = query.where(func.lower(table.c.email) == filters.email.lower())
    if kind is Kind.INVOICE:
        if filters.customer_external_id is not None:
            query = query.where(table.c.customer_external_id == filters.customer_external_id)
        if filters.status is not None:
            query = query.where(table.c.status == filters.status)
    return query


async def list_records(
    session: AsyncSession, kind: Kind, filters: RecordFilters, cursor: str | None, limit: int
) -> tuple[list[Row[Any]], str | None]:
    table = TABLES[kind]
    query = _filtered(kind, filters)
    if cursor is not None:
        position, row_id = decode_cursor(cursor)
        query = query.where(tuple_(table.c.updated_at, table.c.id) > tuple_(position, row_id))
    query = query.order_by(table.c.updated_at, table.c.id).limit(limit + 1)
    rows = list((await session.execute(query)).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].updated_at, rows[-1].id)
    return rows, next_cursor


async def get_record(session: AsyncSession, kind: Kind, record_id: uuid.UUID) -> Row[Any]:
    table = TABLES[kind]
    row = (await session.execute(select(table).where(table.c.id == record_id))).first()
    if row is None:
        raise NotFound(f"No {kind.value} with id {record_id}.")
    return row
