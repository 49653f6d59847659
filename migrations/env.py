"""Alembic environment: runs migrations over asyncpg as the schema owner.

The URL comes from ``config.attributes["url"]`` (set by ``orion db``) or, for the plain
alembic CLI, from ``DATABASE_MIGRATION_URL`` in the settings.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from orion.platform.db import asyncpg_url, metadata


def _url() -> str:
    url = context.config.attributes.get("url")
    if url:
        return str(url)
    from orion.platform.config import get_settings

    migration_url = get_settings().database.migration_url
    if migration_url is None:
        raise SystemExit("DATABASE_MIGRATION_URL is not set")
    return migration_url.get_secret_value()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=metadata, transaction_per_migration=True
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(asyncpg_url(_url()))
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; use a database URL")
asyncio.run(_run_async())
