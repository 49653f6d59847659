"""Outages: Temporal down (store, acknowledge fast, relay later) and Postgres down (503)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from orion.emulator.churn import ChurnSpec
from orion.emulator.server import EmulatorServer
from orion.platform.embedded_postgres import EmbeddedPostgres
from orion.platform.migrations import upgrade
from orion.platform.temporal_dev import TemporalDevServer
from orion.webhooks.relay import run_relay
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.settings import SettingsFactory
from tests.fixtures.stack import running_stack, stack_settings
from tests.platform.throwaway import eventually
from tests.webhooks.conftest import WEBHOOK_SETTINGS
from tests.webhooks.helpers import (
    inbox_rows,
    lifespan,
    post_hubspot,
    post_stripe,
    rendered,
    stripe_connection,
    wait_until_settled,
)
from tests.webhooks.processes import QuickTemporal

BURST = 200


@pytest.fixture
def throwaway_temporal(tmp_path: Path) -> Iterator[TemporalDevServer]:
    server = QuickTemporal(tmp_path / "temporal" / "temporal.db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


async def test_temporal_down_during_a_burst_everything_is_processed_after(
    settings_factory: SettingsFactory,
    shared_database: TestDatabase,
    throwaway_temporal: TemporalDevServer,
    emulator: EmulatorServer,
    emulator_accounts: EmulatorAccounts,
) -> None:
    settings = stack_settings(
        settings_factory, shared_database, throwaway_temporal, emulator, **WEBHOOK_SETTINGS
    )
    account = emulator_accounts.stripe(customers=BURST, seed=21)
    async with running_stack(settings) as stack, lifespan(stack):
        tenant, connection = await stripe_connection(stack, account)
        churn = emulator_accounts.state.churn_stripe(
            account.api_key, customers=ChurnSpec(update=BURST)
        )
        events = rendered(account, [e.id for e in churn.events])
        throwaway_temporal.stop()  # processing stalls from here on

        gate = asyncio.Semaphore(20)
        latencies: list[float] = []

        async def deliver(event: dict[str, object]) -> int:
            async with gate:
                started = time.perf_counter()
                response = await post_stripe(stack.api, connection, event, account.webhook_secret)
                latencies.append(time.perf_counter() - started)
                return response.status_code

        codes = await asyncio.gather(*(deliver(event) for event in events))

        assert codes == [200] * BURST
        # The feature itself: acknowledgements stay fast while nothing can be processed.
        assert p99(latencies) < 1.0, f"ack p99 {p99(latencies):.3f}s while Temporal is down"
        rows = await inbox_rows(stack.database, tenant, connection)
        assert len(rows) == BURST
        assert {row.status for row in rows} == {"received"}

        throwaway_temporal.start()  # same port, same database file
        client = stack.resources.temporal  # connected before the outage; reconnects by itself
        assert client is not None
        stop = asyncio.Event()
        relay = asyncio.create_task(
            run_relay(stack.database, client, settings.temporal.task_queue, stop,
                      interval=0.5, delay=1.0, max_attempts=8)
        )  # fmt: skip
        try:
            rows = await wait_until_settled(stack.database, tenant, connection, BURST, within=120)
        finally:
            stop.set()
            await relay
        assert all(row.attempts >= 1 and row.dispatched_at is not None for row in rows)
        stored = await stack.records(tenant, str(connection), "customer")
        for event in events:
            customer = event["data"]["object"]  # type: ignore[index]
            assert stored[customer["id"]].raw == customer  # type: ignore[index]


@pytest.fixture
def throwaway_postgres(tmp_path: Path) -> Iterator[tuple[EmbeddedPostgres, TestDatabase]]:
    server = EmbeddedPostgres(tmp_path / "pg")
    status = server.start()
    try:
        server_db = TestDatabase(
            "postgres", status.url("postgres", "postgres"), status.url("postgres", "orion_app")
        )
        upgrade(server_db.owner_url, server_db.app_url)
        yield server, server_db
    finally:
        server.stop()


async def test_database_down_answers_503_and_acknowledges_nothing(
    settings_factory: SettingsFactory,
    throwaway_postgres: tuple[EmbeddedPostgres, TestDatabase],
    temporal_server: TemporalDevServer,
    emulator: EmulatorServer,
    emulator_accounts: EmulatorAccounts,
) -> None:
    server, database = throwaway_postgres
    settings = stack_settings(
        settings_factory, database, temporal_server, emulator, **WEBHOOK_SETTINGS
    )
    account = emulator_accounts.stripe(customers=4, seed=22)
    churn = emulator_accounts.state.churn_stripe(account.api_key, customers=ChurnSpec(update=4))
    before, during, after, resent = rendered(account, [e.id for e in churn.events])
    secret = account.webhook_secret
    async with running_stack(settings, worker=False) as stack, lifespan(stack):
        tenant, connection = await stripe_connection(stack, account)
        assert (await post_stripe(stack.api, connection, before, secret)).status_code == 200

        await asyncio.to_thread(server.stop)
        cached = await post_stripe(stack.api, connection, during, secret)
        uncached = await post_stripe(stack.api, uuid.uuid4(), during, secret)
        hubspot = await post_hubspot(stack.api, [{"eventId": 1, "subscriptionId": 1,
            "portalId": 1, "occurredAt": 1, "subscriptionType": "contact.creation",
            "objectId": 1}])  # fmt: skip
        await asyncio.to_thread(server.start)

        assert cached.status_code == 503, cached.text  # secrets cached: the commit failed
        assert uncached.status_code == 503, uncached.text  # not 404: we could not know
        assert hubspot.status_code == 503, hubspot.text

        async def back() -> bool:
            response = await post_stripe(stack.api, connection, after, secret)
            return response.status_code == 200

        await eventually(back, within=30)
        assert (await post_stripe(stack.api, connection, resent, secret)).status_code == 200
        rows = await inbox_rows(stack.database, tenant, connection)
        assert sorted(row.event_id for row in rows) == sorted(
            e["id"] for e in (before, after, resent)
        )
