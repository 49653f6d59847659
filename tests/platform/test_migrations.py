"""Migrations: they round-trip, and what they build is what RLS needs."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from orion.platform.migrations import (
    MigrationError,
    current_revision,
    downgrade,
    head_revision,
    prepare_app_role,
    upgrade,
)
from tests.fixtures.postgres import TestDatabase


async def tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await connection.close()
    return {row["tablename"] for row in rows}


async def test_upgrade_downgrade_upgrade_round_trips(empty_database: TestDatabase) -> None:
    db = empty_database
    await asyncio.to_thread(upgrade, db.owner_url, db.app_url)
    first = await tables(db.owner_url)
    assert {"tenants", "connections", "customers", "invoices", "webhook_events"} <= first
    assert await current_revision(db.app_url) == head_revision()
    await asyncio.to_thread(downgrade, db.owner_url, "base")
    assert await tables(db.owner_url) == {"alembic_version"}
    assert await current_revision(db.owner_url) is None
    await asyncio.to_thread(upgrade, db.owner_url, db.app_url)
    assert await tables(db.owner_url) == first


async def test_every_migration_states_its_compatibility() -> None:
    from orion.platform.migrations import migrations_dir

    for path in (migrations_dir() / "versions").glob("*.py"):
        assert "Compatibility:" in path.read_text(), f"{path.name} lacks a Compatibility note"


async def test_app_role_must_differ_from_owner(empty_database: TestDatabase) -> None:
    with pytest.raises(MigrationError, match="same role"):
        await prepare_app_role(empty_database.owner_url, empty_database.owner_url)


async def test_vector_extension_enabled_where_the_server_has_it(
    fresh_database: TestDatabase,
) -> None:
    connection = await asyncpg.connect(fresh_database.owner_url)
    try:
        available = await connection.fetchval(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"
        )
        installed = await connection.fetchval(
            "SELECT count(*) FROM pg_extension WHERE extname = 'vector'"
        )
    finally:
        await connection.close()
    assert installed == available
