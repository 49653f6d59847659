"""Table: webhook_events, the inbox. Unique per (provider, connection, event id).

``replays`` counts operator replays; it is part of the Temporal workflow id of a replay.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB, UUID

from orion.platform.db import metadata

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey("tenants.id"), nullable=False),
    Column("connection_id", UUID(as_uuid=True), ForeignKey("connections.id"), nullable=False),
    Column("provider", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("object_id", Text),
    Column("occurred_at", DateTime(timezone=True)),
    Column("payload", JSONB, nullable=False),
    Column("raw_body", LargeBinary, nullable=False),
    Column("headers", JSONB, nullable=False, server_default="{}"),
    Column("status", Text, nullable=False, server_default="received"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("dispatched_at", DateTime(timezone=True)),
    Column("processed_at", DateTime(timezone=True)),
    Column("replays", Integer, nullable=False, server_default="0"),
)
