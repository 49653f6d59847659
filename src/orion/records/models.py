"""Tables: customers and invoices, the unified records (one row per provider object)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from orion.platform.db import metadata


def _record_columns() -> list[Column[object]]:
    return [
        Column("id", UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()),
        Column("tenant_id", UUID(as_uuid=True), ForeignKey("tenants.id"), nullable=False),
        Column("connection_id", UUID(as_uuid=True), ForeignKey("connections.id"), nullable=False),
        Column("provider", Text, nullable=False),
        Column("external_id", Text, nullable=False),
        Column("raw", JSONB, nullable=False),
        Column("source_updated_at", DateTime(timezone=True), nullable=False),
        Column("deleted_at", DateTime(timezone=True)),
        Column("version", Integer, nullable=False, server_default="1"),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


customers = Table(
    "customers",
    metadata,
    *_record_columns(),
    Column("email", Text),
    Column("name", Text),
    Column("phone", Text),
    Column("company", Text),
    Column("address", JSONB),
)

invoices = Table(
    "invoices",
    metadata,
    *_record_columns(),
    Column("number", Text),
    Column("customer_external_id", Text),
    Column("currency", Text),
    Column("amount_due", BigInteger),
    Column("amount_paid", BigInteger),
    Column("amount_remaining", BigInteger),
    Column("total", BigInteger),
    Column("status", Text),
    Column("provider_status", Text),
    Column("issued_at", DateTime(timezone=True)),
    Column("due_at", DateTime(timezone=True)),
    Column("paid_at", DateTime(timezone=True)),
)
