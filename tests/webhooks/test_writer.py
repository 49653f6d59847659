"""Group commit: concurrent rows share commits, outcomes are per row, failures are 503s."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from orion.platform.crypto import Vault, generate_key
from orion.platform.db import Database, PoolOptions, create_engine
from orion.platform.processes import free_port
from orion.webhooks.events import ParsedEvent
from orion.webhooks.repository import InboxRow, StoredEvent
from orion.webhooks.writer import InboxWriter, StoreFailed
from tests.fixtures.postgres import TestDatabase
from tests.webhooks.helpers import add_connection, count_rows, new_tenant


@pytest.fixture
async def database(shared_database: TestDatabase) -> AsyncIterator[Database]:
    db = Database(create_engine(shared_database.app_url, PoolOptions(size=4)))
    try:
        yield db
    finally:
        await db.dispose()


def row(tenant: uuid.UUID, connection: uuid.UUID, event_id: str) -> InboxRow:
    payload = f'{{"id": "{event_id}"}}'
    event = ParsedEvent(event_id, "customer.updated", "cus_1", datetime.now(UTC), payload)
    return InboxRow(tenant, connection, "stripe", event, payload.encode(), "{}")


async def connection_of(database: Database) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = await new_tenant(database)
    vault = Vault([generate_key()])
    account = f"acct_{uuid.uuid4().hex[:12]}"
    connection = await add_connection(
        database, vault, tenant, provider="stripe", account=account, credential="sk_test_x"
    )
    return tenant, connection


async def test_concurrent_deliveries_share_commits(database: Database) -> None:
    tenant, connection = await connection_of(database)
    commits: list[list[StoredEvent]] = []
    writer = InboxWriter(database, on_commit=commits.append)
    try:
        ids = await asyncio.gather(
            *(writer.store([row(tenant, connection, f"evt_{n}")]) for n in range(60))
        )
    finally:
        await writer.close()
    assert all(result[0] is not None for result in ids)
    assert sum(len(batch) for batch in commits) == 60
    assert len(commits) < 10, f"{len(commits)} commits for 60 concurrent deliveries"
    assert await count_rows(database, tenant, connection) == 60


async def test_outcome_is_per_row_within_one_batch(database: Database) -> None:
    tenant, connection = await connection_of(database)
    writer = InboxWriter(database)
    try:
        first, again, both = await asyncio.gather(
            writer.store([row(tenant, connection, "evt_a")]),
            writer.store([row(tenant, connection, "evt_a")]),
            writer.store([row(tenant, connection, "evt_a"), row(tenant, connection, "evt_b")]),
        )
        later = await writer.store([row(tenant, connection, "evt_b")])
    finally:
        await writer.close()
    assert first[0] is not None and again == [None]
    assert both[0] is None and both[1] is not None  # evt_a went to the first delivery
    assert later == [None]


async def test_a_bad_row_fails_alone(database: Database) -> None:
    tenant, connection = await connection_of(database)
    gone = uuid.uuid4()  # no such connection: the foreign key refuses the row
    writer = InboxWriter(database)
    try:
        good, bad = await asyncio.gather(
            writer.store([row(tenant, connection, "evt_good")]),
            writer.store([row(tenant, gone, "evt_bad")]),
            return_exceptions=True,
        )
    finally:
        await writer.close()
    assert isinstance(bad, StoreFailed)
    assert isinstance(good, list) and good[0] is not None


async def test_unreachable_database_fails_every_delivery() -> None:
    url = f"postgresql://orion_app@127.0.0.1:{free_port()}/nowhere"
    database = Database(create_engine(url, PoolOptions(size=1, timeout_seconds=2)))
    writer = InboxWriter(database, timeout_seconds=5)
    tenant, connection = uuid.uuid4(), uuid.uuid4()
    try:
        results = await asyncio.gather(
            *(writer.store([row(tenant, connection, f"evt_{n}")]) for n in range(5)),
            return_exceptions=True,
        )
    finally:
        await writer.close()
        await database.dispose()
    assert all(isinstance(result, StoreFailed) for result in results)


async def test_a_hung_database_is_answered_after_the_timeout_not_never() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"postgresql://orion_app@127.0.0.1:{silent.getsockname()[1]}/hung"
        database = Database(create_engine(url, PoolOptions(size=1, timeout_seconds=60)))
        writer = InboxWriter(database, timeout_seconds=0.3)
        tenant, connection = uuid.uuid4(), uuid.uuid4()
        try:
            async with asyncio.timeout(20):  # the test's own bound, far above the writer's
                results = await asyncio.gather(
                    *(writer.store([row(tenant, connection, f"evt_{n}")]) for n in range(3)),
                    return_exceptions=True,
                )
                later = await asyncio.gather(
                    writer.store([row(tenant, connection, "evt_later")]), return_exceptions=True
                )
        finally:
            await writer.close()
            await database.dispose()
    for result in [*results, *later]:
        assert isinstance(result, StoreFailed), result
        assert "no commit within 0.3 s" in str(result)


async def test_a_lane_whose_connection_was_killed_answers_503_once_then_reconnects(
    database: Database, shared_database: TestDatabase
) -> None:
    tenant, connection = await connection_of(database)
    writer = InboxWriter(database)
    try:
        await writer.store([row(tenant, connection, "evt_before")])
        owner = await asyncpg.connect(shared_database.owner_url)
        try:  # the lane keeps its connection between batches: kill it
            killed = await owner.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = $1 AND usename = 'orion_app'",
                shared_database.name,
            )
        finally:
            await owner.close()
        assert killed >= 1
        outcomes = []
        for _ in range(2):  # the provider's retries
            try:
                outcomes.append(await writer.store([row(tenant, connection, "evt_after")]))
                break
            except StoreFailed as exc:
                outcomes.append(exc)
    finally:
        await writer.close()
    assert isinstance(outcomes[-1], list) and outcomes[-1][0] is not None, outcomes
    assert await count_rows(database, tenant, connection) == 2


async def test_closed_writer_refuses() -> None:
    writer = InboxWriter(Database(create_engine("postgresql://x@127.0.0.1:1/x")))
    await writer.close()
    with pytest.raises(StoreFailed):
        await writer.store([row(uuid.uuid4(), uuid.uuid4(), "evt_x")])
