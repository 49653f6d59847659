"""Table: live_stream_tickets, one-time tickets that open an event stream (hashes only)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, LargeBinary, Table, Text, func
from sqlalchemy.dialects.postgresql import UUID

from orion.platform.db import metadata

live_stream_tickets = Table(
    "live_stream_tickets",
    metadata,
    Column("ticket_hash", LargeBinary, primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("subject", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("session_expires_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
