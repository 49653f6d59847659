"""``orion secrets rotate``: every row ends on the primary key, even after an interruption."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from orion.connections.models import connections
from orion.entrypoints.cli import app
from orion.ops.secret_rotation import rotate
from orion.platform import config
from orion.platform.crypto import Vault, generate_key, key_id
from orion.platform.db import Database, PoolOptions, create_engine
from orion.tenants.repository import create_tenant
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.records import insert_connection


async def seed(database_url: str, vault: Vault, tenants: int, per_tenant: int) -> None:
    database = Database(create_engine(database_url, PoolOptions(size=2)))
    try:
        for _ in range(tenants):
            tenant = uuid.uuid4()
            async with database.tenant_transaction(tenant) as session:
                await create_tenant(session, tenant, "rotating")
                for n in range(per_tenant):
                    hooks = b'["whsec_x"]' if n % 2 else None
                    await insert_connection(
                        session, tenant, vault, secret=b"secret-%d" % n, webhook_secrets=hooks
                    )
    finally:
        await database.dispose()


async def read_all(owner_url: str) -> list[tuple[bytes, str, bytes | None, str | None]]:
    engine = create_engine(owner_url, PoolOptions(size=1))
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(
                    connections.c.credentials,
                    connections.c.credentials_key_id,
                    connections.c.webhook_secrets,
                    connections.c.webhook_secrets_key_id,
                )
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        await engine.dispose()


async def test_rotation_moves_every_secret_to_the_new_key(fresh_database: TestDatabase) -> None:
    old, new = generate_key(), generate_key()
    await seed(fresh_database.app_url, Vault([old]), tenants=3, per_tenant=4)
    engine = create_engine(fresh_database.owner_url)
    try:
        report = await rotate(engine, Vault([new, old]), batch_size=5)
    finally:
        await engine.dispose()
    assert report.before == {key_id(old): 18}
    assert report.after == {key_id(new): 18}
    assert report.rotated == 12
    only_new = Vault([new])
    for credentials, cred_key, hooks, hooks_key in await read_all(fresh_database.owner_url):
        assert cred_key == key_id(new)
        assert only_new.open(credentials).startswith(b"secret-")
        if hooks is not None:
            assert hooks_key == key_id(new)
            assert only_new.open(hooks) == b'["whsec_x"]'


async def test_an_interrupted_rotation_resumes_and_finishes(
    fresh_database: TestDatabase,
) -> None:
    old, new = generate_key(), generate_key()
    await seed(fresh_database.app_url, Vault([old]), tenants=2, per_tenant=5)
    vault = Vault([new, old])
    engine = create_engine(fresh_database.owner_url)

    def interrupt(_done: int) -> None:
        raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            await rotate(engine, vault, batch_size=3, on_batch=interrupt)
        rows = await read_all(fresh_database.owner_url)
        assert sum(1 for row in rows if row[1] == key_id(new)) == 3  # one batch committed
        report = await rotate(engine, vault, batch_size=3)
    finally:
        await engine.dispose()
    assert set(report.before) == {key_id(new), key_id(old)}  # mid-way: both keys in use
    assert sum(report.before.values()) == 14  # 10 credentials + 4 webhook secret sets
    assert report.rotated == 7
    assert report.after == {key_id(new): 14}


def test_cli_reports_counts_per_key(
    fresh_database: TestDatabase, clean_environ: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = generate_key(), generate_key()
    asyncio.run(seed(fresh_database.app_url, Vault([old]), tenants=1, per_tenant=2))
    monkeypatch.setenv("DATABASE_URL", fresh_database.app_url)
    monkeypatch.setenv("DATABASE_MIGRATION_URL", fresh_database.owner_url)
    monkeypatch.setenv("ENCRYPTION_KEYS", f"{new},{old}")
    config.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["secrets", "rotate"])
    finally:
        config.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"{key_id(new)} (primary)" in result.output
    assert "re-encrypted 2 connection(s)" in result.output
