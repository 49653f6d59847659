"""Unified records in Postgres: newest-wins upserts and keyset-paginated reads.

An upsert changes a row only when the incoming snapshot is newer than the stored one
(``source_updated_at``), so applying the same page twice, or an old event after a new one,
changes nothing. Equal timestamps with different content are ambiguous: ordered sources
(a sync reading a provider's event stream in order) apply them; unordered ones (webhooks) do
not, and get the ids back so they can fetch the provider's current object instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, false, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from orion.records.models import customers, invoices
from orion.records.unified import Customer, Invoice, Kind

TABLES: dict[Kind, Table] = {Kind.CUSTOMER: customers, Kind.INVOICE: invoices}
_CUSTOMER_FIELDS = ("email", "name", "phone", "company")
_INVOICE_FIELDS = (
    "number",
    "customer_external_id",
    "currency",
    "amount_due",
    "amount_paid",
    "amount_remaining",
    "total",
    "status",
    "provider_status",
    "issued_at",
    "due_at",
    "paid_at",
)


@dataclass
class UpsertResult:
    upserted: int = 0  # rows inserted or changed
    deleted: int = 0  # of those, rows now marked deleted
    ties: list[str] = field(default_factory=list)  # external ids left undecided (webhooks)


def _row(
    record: Customer | Invoice, tenant_id: uuid.UUID, connection_id: uuid.UUID
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": tenant_id,
        "connection_id": connection_id,
        "provider": record.provider.value,
        "external_id": record.external_id,
        "raw": record.raw,
        "source_updated_at": record.source_updated_at,
        "deleted_at": record.source_updated_at if record.deleted else None,
    }
    if isinstance(record, Customer):
        row.update({name: getattr(record, name) for name in _CUSTOMER_FIELDS})
        row["address"] = record.address.model_dump() if record.address else None
    else:
        row.update({name: getattr(record, name) for name in _INVOICE_FIELDS})
        row["status"] = record.status.value if record.status else None
    return row


def _latest_per_id(records: list[Customer | Invoice]) -> list[Customer | Invoice]:
    """One row per external id (Postgres cannot update a row twice in one statement).

    The newest snapshot wins; on equal timestamps the later one in the (ordered) page wins.
    """
    chosen: dict[str, Customer | Invoice] = {}
    for record in records:
        current = chosen.get(record.external_id)
        if current is None or record.source_updated_at >= current.source_updated_at:
            chosen[record.external_id] = record
    return list(chosen.values())


@cache
def _upsert_statement(kind: Kind, apply_ties: bool) -> ReturningInsert[Any]:
    """One compiled-once statement per kind, run with many parameter sets (executemany)."""
    table = TABLES[kind]
    new = insert(table).excluded
    fields = _CUSTOMER_FIELDS if kind is Kind.CUSTOMER else _INVOICE_FIELDS
    columns = {name: new[name] for name in fields}
    if kind is Kind.CUSTOMER:
        columns["address"] = new.address
    changed = or_(
        table.c.raw.is_distinct_from(new.raw),
        table.c.deleted_at.is_distinct_from(new.deleted_at),
    )
    return (
        insert(table)
        .on_conflict_do_update(
            index_elements=[table.c.connection_id, table.c.external_id],
            set_={
                **columns,
                "raw": new.raw,
                "source_updated_at": new.source_updated_at,
                "deleted_at": new.deleted_at,
                "version": table.c.version + 1,
                "updated_at": func.now(),
            },
            where=or_(
                table.c.source_updated_at < new.source_updated_at,
                and_(
                    table.c.source_updated_at == new.source_updated_at,
                    changed,
                    true() if apply_ties else false(),
                ),
            ),
        )
        .returning(table.c.external_id, table.c.deleted_at)
    )


async def upsert_records(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    kind: Kind,
    records: list[Customer | Invoice],
    *,
    apply_ties: bool,
) -> UpsertResult:
    result = UpsertResult()
    unique = _latest_per_id([r for r in records if r.kind is kind])
    if not unique:
        return result
    rows = (
        await session.execute(
            _upsert_statement(kind, apply_ties), [_row(r, tenant_id, connection_id) for r in unique]
        )
    ).all()
    result.upserted = len(rows)
    result.deleted = sum(1 for row in rows if row.deleted_at is not None)
    if not apply_ties and len(rows) < len(unique):
        written = {row.external_id for row in rows}
        result.ties = await _undecided(session, TABLES[kind], connection_id, unique, written)
    return result


async def _undecided(
    session: AsyncSession,
    table: Table,
    connection_id: uuid.UUID,
    records: list[Customer | Invoice],
    written: set[str],
) -> list[str]:
    """Ids skipped because the stored row has the same timestamp but other content."""
    skipped = {r.external_id: r for r in records if r.external_id not in written}
    stored = await session.execute(
        select(
            table.c.external_id, table.c.source_updated_at, table.c.raw, table.c.deleted_at
        ).where(table.c.connection_id == connection_id, table.c.external_id.in_(list(skipped)))
    )
    ties = []
    for row in stored:
        record = skipped[row.external_id]
        deleted_at = record.source_updated_at if record.deleted else None
        same_time = row.source_updated_at == record.source_updated_at
        if same_time and (row.raw != record.raw or row.deleted_at != deleted_at):
            ties.append(row.external_id)
    return sorted(ties)


async def mark_unlisted_deleted(
    session: AsyncSession, connection_id: uuid.UUID, kind: Kind, listed_before: datetime
) -> int:
    """After a full re-list: live records the listing did not refresh were deleted meanwhile.

    Every listed object's snapshot is at least ``listed_before`` new, so a live row still older
    than that was not in the listing (its deletion event expired before Orion could read it).
    """
    table = TABLES[kind]
    result = await session.execute(
        update(table)
        .where(
            table.c.connection_id == connection_id,
            table.c.deleted_at.is_(None),
            table.c.source_updated_at < listed_before,
        )
        .values(
            deleted_at=listed_before,
            source_updated_at=listed_before,
            version=table.c.version + 1,
            updated_at=func.now(),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
