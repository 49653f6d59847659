"""Newest-wins upserts: order does not matter, repetition changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from orion.platform.crypto import Vault, generate_key
from orion.platform.db import Database
from orion.records.models import customers
from orion.records.repository import upsert_records
from orion.records.unified import Customer, Kind, Provider
from orion.tenants.repository import create_tenant
from tests.fixtures.records import insert_connection

VAULT = Vault([generate_key()])
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def snapshot(external_id: str, minute: int, name: str, deleted: bool = False) -> Customer:
    return Customer(
        provider=Provider.STRIPE,
        external_id=external_id,
        source_updated_at=T0 + timedelta(minutes=minute),
        deleted=deleted,
        raw={"id": external_id, "name": name, "v": minute},
        name=name,
    )


async def new_connection(database: Database) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = uuid.uuid4()
    async with database.tenant_transaction(tenant) as session:
        await create_tenant(session, tenant, "records")
        connection = await insert_connection(session, tenant, VAULT)
    return tenant, connection


async def stored(database: Database, tenant: uuid.UUID, connection: uuid.UUID) -> dict[str, tuple]:
    async with database.tenant_transaction(tenant) as session:
        rows = await session.execute(
            select(
                customers.c.external_id,
                customers.c.name,
                customers.c.deleted_at,
                customers.c.version,
            ).where(customers.c.connection_id == connection)
        )
        return {row.external_id: (row.name, row.deleted_at, row.version) for row in rows}


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(order=st.permutations(range(6)), deleted_last=st.booleans())
async def test_any_delivery_order_ends_at_the_newest_snapshot(
    app_database: Database, order: list[int], deleted_last: bool
) -> None:
    tenant, connection = await new_connection(app_database)
    versions = [snapshot("cus_1", minute, f"name-{minute}") for minute in range(5)]
    versions.append(snapshot("cus_1", 5, "name-5", deleted=deleted_last))
    for index in order:
        async with app_database.tenant_transaction(tenant) as session:
            await upsert_records(
                session, tenant, connection, Kind.CUSTOMER, [versions[index]], apply_ties=False
            )
    name, deleted_at, _ = (await stored(app_database, tenant, connection))["cus_1"]
    assert name == "name-5"
    assert (deleted_at is not None) == deleted_last


async def test_reapplying_a_page_changes_nothing(app_database: Database) -> None:
    tenant, connection = await new_connection(app_database)
    page = [snapshot(f"cus_{n}", 1, f"n{n}") for n in range(50)]
    for expected in (50, 0, 0):
        async with app_database.tenant_transaction(tenant) as session:
            result = await upsert_records(
                session, tenant, connection, Kind.CUSTOMER, page, apply_ties=True
            )
        assert result.upserted == expected
    assert {v[2] for v in (await stored(app_database, tenant, connection)).values()} == {1}


async def test_ties_apply_for_ordered_sources_and_are_reported_for_unordered_ones(
    app_database: Database,
) -> None:
    tenant, connection = await new_connection(app_database)
    async with app_database.tenant_transaction(tenant) as session:
        await upsert_records(
            session, tenant, connection, Kind.CUSTOMER, [snapshot("cus_t", 3, "a")], apply_ties=True
        )
    async with app_database.tenant_transaction(tenant) as session:
        webhook = await upsert_records(
            session,
            tenant,
            connection,
            Kind.CUSTOMER,
            [snapshot("cus_t", 3, "b")],
            apply_ties=False,
        )
    assert webhook.upserted == 0
    assert webhook.ties == ["cus_t"]
    async with app_database.tenant_transaction(tenant) as session:
        ordered = await upsert_records(
            session, tenant, connection, Kind.CUSTOMER, [snapshot("cus_t", 3, "c")], apply_ties=True
        )
    assert ordered.upserted == 1
    assert (await stored(app_database, tenant, connection))["cus_t"][0] == "c"


async def test_a_page_holding_one_object_twice_keeps_the_later_snapshot(
    app_database: Database,
) -> None:
    tenant, connection = await new_connection(app_database)
    page = [
        snapshot("cus_d", 1, "first"),
        snapshot("cus_d", 1, "second"),
        snapshot("cus_e", 2, "x"),
    ]
    async with app_database.tenant_transaction(tenant) as session:
        result = await upsert_records(
            session, tenant, connection, Kind.CUSTOMER, page, apply_ties=True
        )
    assert result.upserted == 2
    assert (await stored(app_database, tenant, connection))["cus_d"][0] == "second"
