"""Tenant isolation by row-level security, exercised through the real connection pool."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import DBAPIError

from orion.entrypoints.api import create_app
from orion.platform.crypto import Vault, generate_key
from orion.platform.db import Database, PoolOptions, create_engine
from orion.platform.db_isolation import isolation_problems
from orion.records.models import customers
from orion.tenants.repository import create_tenant
from tests.fixtures.postgres import PgServer, TestDatabase
from tests.fixtures.records import insert_connection
from tests.fixtures.settings import SettingsFactory, production_values

VAULT = Vault([generate_key()])


async def new_tenant_with_connection(database: Database) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = uuid.uuid4()
    async with database.tenant_transaction(tenant) as session:
        await create_tenant(session, tenant, "t")
        connection = await insert_connection(session, tenant, VAULT)
    return tenant, connection


def customer_row(tenant: uuid.UUID, connection: uuid.UUID, external_id: str) -> dict[str, object]:
    return {
        "tenant_id": tenant,
        "connection_id": connection,
        "provider": "stripe",
        "external_id": external_id,
        "raw": {"id": external_id},
        "source_updated_at": datetime.now(UTC),
    }


async def test_interleaved_concurrent_requests_never_see_another_tenant(
    app_database: Database,
) -> None:
    tenants = [await new_tenant_with_connection(app_database) for _ in range(2)]
    leaks: list[str] = []

    async def request(number: int) -> None:
        tenant, connection = tenants[number % 2]
        async with app_database.tenant_transaction(tenant) as session:
            if number % 3 == 0:
                await session.execute(
                    insert(customers).values(customer_row(tenant, connection, f"cus_{number}"))
                )
            await asyncio.sleep(random.random() / 200)  # hold the connection, interleave
            owners = (await session.execute(select(customers.c.tenant_id))).scalars().all()
            leaks.extend(str(owner) for owner in owners if owner != tenant)

    await asyncio.gather(*(request(n) for n in range(1000)))
    assert leaks == []
    for tenant, _ in tenants:
        async with app_database.tenant_transaction(tenant) as session:
            count = len((await session.execute(select(customers.c.id))).all())
        assert count == len([n for n in range(0, 1000, 3) if tenants[n % 2][0] == tenant])


async def test_no_tenant_means_zero_rows(app_database: Database) -> None:
    tenant, connection = await new_tenant_with_connection(app_database)
    async with app_database.tenant_transaction(tenant) as session:
        await session.execute(insert(customers).values(customer_row(tenant, connection, "c1")))
    async with app_database.system_transaction() as session:
        for table in ("tenants", "connections", "customers"):
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0


async def test_cross_tenant_insert_and_update_are_rejected(app_database: Database) -> None:
    tenant_a, connection_a = await new_tenant_with_connection(app_database)
    tenant_b, connection_b = await new_tenant_with_connection(app_database)
    with pytest.raises(DBAPIError, match="row-level security"):
        async with app_database.tenant_transaction(tenant_a) as session:
            await session.execute(
                insert(customers).values(customer_row(tenant_b, connection_b, "intruder"))
            )
    async with app_database.tenant_transaction(tenant_b) as session:
        await session.execute(insert(customers).values(customer_row(tenant_b, connection_b, "b1")))
    async with app_database.tenant_transaction(tenant_a) as session:
        result = await session.execute(update(customers).values(email="pwned@example.org"))
        assert result.rowcount == 0  # B's rows are invisible, so untouchable
        await session.execute(insert(customers).values(customer_row(tenant_a, connection_a, "a1")))
    with pytest.raises(DBAPIError, match="row-level security"):
        async with app_database.tenant_transaction(tenant_a) as session:
            await session.execute(update(customers).values(tenant_id=tenant_b))


async def test_the_application_role_passes_the_startup_check(app_database: Database) -> None:
    assert await isolation_problems(app_database.engine) == []


async def test_startup_check_refuses_the_owner(shared_database: TestDatabase) -> None:
    engine = create_engine(shared_database.owner_url, PoolOptions(size=1))
    try:
        problems = await isolation_problems(engine)
    finally:
        await engine.dispose()
    assert any("superuser" in p or "owner" in p for p in problems)


async def test_startup_check_refuses_bypassrls_and_missing_force(
    pg_server: PgServer, fresh_database: TestDatabase
) -> None:
    role = f"orion_bypass_{uuid.uuid4().hex[:8]}"
    await pg_server.execute(f"CREATE ROLE {role} LOGIN BYPASSRLS IN ROLE orion_app_rw")
    owner = await asyncpg.connect(fresh_database.owner_url)
    await owner.execute("ALTER TABLE invoices NO FORCE ROW LEVEL SECURITY")
    await owner.close()
    engine = create_engine(pg_server.url(fresh_database.name, role), PoolOptions(size=1))
    try:
        problems = await isolation_problems(engine)
    finally:
        await engine.dispose()
        await pg_server.execute(f"DROP ROLE {role}")
    assert f"role {role} has BYPASSRLS" in problems
    assert "table invoices does not FORCE row-level security" in problems


async def test_deployed_api_refuses_to_start_without_isolation(
    shared_database: TestDatabase, settings_factory: SettingsFactory
) -> None:
    values = production_values() | {"DATABASE_URL": shared_database.owner_url}
    settings = settings_factory("production", **values)
    app = create_app(settings)
    with pytest.raises(RuntimeError, match="tenant isolation is not guaranteed"):
        async with app.router.lifespan_context(app):
            pass
    development = settings_factory("development", DATABASE_URL=shared_database.owner_url)
    app = create_app(development)
    async with app.router.lifespan_context(app):  # development only warns
        pass
