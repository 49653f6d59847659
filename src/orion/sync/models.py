"""Tables: sync_cursors (where each kind's sync continues) and sync_runs (what happened)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from orion.platform.db import metadata

sync_cursors = Table(
    "sync_cursors",
    metadata,
    Column("connection_id", UUID(as_uuid=True), ForeignKey("connections.id"), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey("tenants.id"), nullable=False),
    Column("kind", Text, primary_key=True),
    Column("cursor", Text),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey("tenants.id"), nullable=False),
    Column("connection_id", UUID(as_uuid=True), ForeignKey("connections.id"), nullable=False),
    Column("workflow_id", Text, nullable=False),
    Column("trigger", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="running"),
    Column("pages", Integer, nullable=False, server_default="0"),
    Column("records_upserted", Integer, nullable=False, server_default="0"),
    Column("records_deleted", Integer, nullable=False, server_default="0"),
    Column("gap", Boolean, nullable=False, server_default="false"),
    Column("error", Text),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("finished_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
