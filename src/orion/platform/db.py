"""Postgres access: one engine per process, one transaction per request or activity.

Tenant isolation is enforced by Postgres row-level security, not by WHERE clauses we might
forget: every tenant transaction starts with ``set_config('app.tenant_id', ..., true)``, which
is local to the transaction and therefore safe behind a transaction-mode pooler. A transaction
that sets no tenant sees zero tenant rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

#: Shared by every domain's tables so constraint names are predictable in migrations.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")


def asyncpg_url(url: str) -> str:
    """Any libpq-style URL (``postgres://``, ``?sslmode=``) as an SQLAlchemy asyncpg URL."""
    parts = urlsplit(url)
    scheme = "postgresql+asyncpg"
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "sslmode":
            key = "ssl"  # asyncpg's name for the same setting
        query.append((key, value))
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def libpq_url(url: str) -> str:
    """The same URL for libpq tools (pg_dump, psql): plain scheme, ``sslmode``."""
    parts = urlsplit(url)
    query = [("sslmode" if k == "ssl" else k, v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), parts.fragment))


def url_user(url: str) -> str:
    return urlsplit(url).username or "postgres"


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@dataclass(frozen=True)
class PoolOptions:
    size: int = 5
    max_overflow: int = 5
    timeout_seconds: float = 10.0
    statement_timeout_ms: int = 15_000
    transaction_pooler: bool = False  # pgbouncer/Supavisor transaction mode: no prepared stmts
    application_name: str = "orion"
    # Ping each connection as it leaves the pool (one round trip per checkout). Off only where
    # every failure is answered anyway and the caller invalidates what failed (the inbox).
    pre_ping: bool = True


def json_text(value: Any) -> str:
    """JSON for jsonb columns: orjson (several times faster on raw provider payloads, the
    bulk of a sync's writes), the standard library for what orjson refuses (integers wider
    than 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def create_engine(url: str, options: PoolOptions | None = None) -> AsyncEngine:
    options = options or PoolOptions()
    connect_args: dict[str, object] = {
        "server_settings": {
            "application_name": options.application_name,
            "statement_timeout": str(options.statement_timeout_ms),
        },
        "timeout": options.timeout_seconds,
    }
    if options.transaction_pooler:
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = lambda: f"__orion_{uuid.uuid4().hex}__"
    return create_async_engine(
        asyncpg_url(url),
        pool_size=options.size,
        max_overflow=options.max_overflow,
        pool_timeout=options.timeout_seconds,
        pool_pre_ping=options.pre_ping,
        pool_recycle=1800,
        json_serializer=json_text,
        json_deserializer=orjson.loads,
        connect_args=connect_args,
    )


class Database:
    """The process's engine plus the two ways to open a transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)

    @asynccontextmanager
    async def tenant_transaction(self, tenant_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
        """A transaction that sees only ``tenant_id``'s rows; commits if the block succeeds."""
        async with self._sessions() as session, session.begin():
            await session.execute(_SET_TENANT, {"tenant": str(tenant_id)})
            yield session

    @asynccontextmanager
    async def system_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction with no tenant: it sees no tenant rows, only what the narrow
        SECURITY DEFINER functions of the schema hand out (webhook routing, outbox)."""
        async with self._sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
