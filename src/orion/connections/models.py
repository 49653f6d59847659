"""Table: connections. Credentials are Fernet tokens; the key id says which key wrote them."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from orion.platform.db import metadata

connections = Table(
    "connections",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey("tenants.id"), nullable=False),
    Column("provider", Text, nullable=False),
    Column("external_account_id", Text, nullable=False),
    Column("display_name", Text),
    Column("credentials", LargeBinary, nullable=False),
    Column("credentials_key_id", Text, nullable=False),
    Column("webhook_secrets", LargeBinary),
    Column("webhook_secrets_key_id", Text),
    Column("status", Text, nullable=False, server_default="active"),
    Column("status_reason", Text),
    Column("sync_interval_seconds", Integer, nullable=False, server_default="3600"),
    Column("last_synced_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
