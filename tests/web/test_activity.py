"""``GET /api/v1/activity``: the overview's buckets and counts, per tenant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from orion.activity.api import BUCKETS, window
from orion.emulator.server import EmulatorServer
from orion.platform.db import Database
from orion.platform.temporal_dev import TemporalDevServer
from orion.sync.models import sync_runs
from orion.webhooks.models import webhook_events
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.settings import SettingsFactory
from tests.fixtures.stack import Stack, running_stack, stack_settings
from tests.web.sse import new_tenant_with_connection


@pytest.fixture
async def api(
    settings_factory: SettingsFactory,
    shared_database: TestDatabase,
    temporal_server: TemporalDevServer,
    emulator: EmulatorServer,
) -> AsyncIterator[Stack]:
    settings = stack_settings(settings_factory, shared_database, temporal_server, emulator)
    async with running_stack(settings, worker=False) as stack:
        yield stack


async def seed(database: Database, tenant: uuid.UUID, connection: uuid.UUID) -> None:
    now = datetime.now(UTC)
    runs: list[dict[str, Any]] = [
        {"status": "completed", "records_upserted": 120, "started_at": now - timedelta(hours=2)},
        {"status": "failed", "records_upserted": 5, "started_at": now - timedelta(minutes=90)},
        {"status": "running", "records_upserted": 7, "started_at": now},
        {"status": "completed", "records_upserted": 999, "started_at": now - timedelta(hours=30)},
    ]
    events = [("processed", 1), ("processed", 2), ("dead", 3), ("dead", 40)]  # (status, hours ago)
    async with database.tenant_transaction(tenant) as session:
        for n, run in enumerate(runs):
            await session.execute(
                insert(sync_runs).values(
                    tenant_id=tenant,
                    connection_id=connection,
                    workflow_id=f"wf-{n}",
                    trigger="manual",
                    **run,
                )
            )
        for n, (status, hours_ago) in enumerate(events):
            await session.execute(
                insert(webhook_events).values(
                    tenant_id=tenant,
                    connection_id=connection,
                    provider="stripe",
                    event_id=f"evt_{n}",
                    event_type="customer.updated",
                    payload={},
                    raw_body=b"{}",
                    status=status,
                    received_at=now - timedelta(hours=hours_ago),
                )
            )


async def test_buckets_and_counts_cover_the_window_of_the_callers_tenant_only(
    api: Stack, app_database: Database
) -> None:
    tenant, connection = await new_tenant_with_connection(app_database)
    await seed(app_database, tenant, connection)
    stranger, _ = await new_tenant_with_connection(app_database)

    mine = await api.api.get("/api/v1/activity", headers=api.headers(tenant))
    theirs = await api.api.get("/api/v1/activity", headers=api.headers(stranger))

    assert mine.status_code == 200, mine.text
    body = mine.json()
    syncs, hooks = body["sync"]["buckets"], body["webhooks"]["buckets"]
    assert len(syncs) == len(hooks) == BUCKETS
    assert body["bucket_seconds"] == 3600
    assert sum(b["runs"] for b in syncs) == 3  # the run 30 hours ago is outside
    assert sum(b["failed"] for b in syncs) == 1
    assert sum(b["records"] for b in syncs) == 132
    assert syncs[-1]["runs"] == 1  # the running one: the others are over an hour older
    assert body["sync"]["by_status"] == {"completed": 1, "failed": 1, "running": 1}
    assert body["sync"]["running"] == 1
    assert sum(b["received"] for b in hooks) == 3
    assert sum(b["dead"] for b in hooks) == 1
    assert body["webhooks"]["by_status"] == {"processed": 2, "dead": 1}
    assert body["webhooks"]["dead_total"] == 2
    assert body["connections"] == {"active": 1}

    other = theirs.json()
    assert sum(b["runs"] for b in other["sync"]["buckets"]) == 0
    assert other["webhooks"]["dead_total"] == 0
    assert (await api.api.get("/api/v1/activity")).status_code == 401
    empty_window = await api.api.get("/api/v1/activity?hours=0", headers=api.headers(tenant))
    assert empty_window.status_code == 422


@pytest.mark.parametrize("hours", [1, 24, 168])
def test_the_window_ends_with_the_bucket_holding_now_and_stays_put(hours: int) -> None:
    now = datetime(2026, 11, 28, 10, 17, 42, 123456, tzinfo=UTC)
    origin, step = window(hours, now)
    last = origin + step * (BUCKETS - 1)
    assert step == timedelta(hours=hours) / BUCKETS
    assert last <= now < last + step
    assert window(hours, now + timedelta(seconds=1))[0] in (origin, origin + step)
