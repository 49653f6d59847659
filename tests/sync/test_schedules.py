"""Schedules on the Temporal dev server: one per connection, repaired by the reconciler."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from orion.sync.inputs import schedule_id
from orion.sync.schedules import TemporalSyncSchedules, reconcile
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack
from tests.sync.helpers import connect


async def test_a_triggered_schedule_runs_a_sync(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=40, invoices=20)
    connection = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    assert stack.resources.temporal is not None
    handle = stack.resources.temporal.get_schedule_handle(schedule_id(connection))
    description = await handle.describe()
    assert description.schedule.spec.intervals[0].every.total_seconds() == 3600
    await handle.trigger()
    run = await stack.wait_for_run(tenant, connection)
    assert (run["trigger"], run["status"], run["records_upserted"]) == ("schedule", "completed", 60)


async def test_reconcile_recreates_missing_and_removes_orphaned_schedules(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    client = stack.resources.temporal
    assert client is not None
    tenant = uuid.uuid4()
    connection = await connect(
        stack, tenant, {"provider": "stripe", "api_key": emulator_accounts.stripe().api_key}
    )
    schedules = TemporalSyncSchedules(client, stack.settings.temporal.task_queue)
    await client.get_schedule_handle(schedule_id(connection)).delete()
    orphan = uuid.uuid4()
    await schedules.ensure(tenant, orphan, 600, paused=False)
    await _until_listed(client, schedule_id(str(orphan)))
    report = await reconcile(stack.database, schedules, client)
    assert report.created_or_updated >= 1
    assert report.removed >= 1
    assert (await client.get_schedule_handle(schedule_id(connection)).describe()).schedule
    with pytest.raises(RPCError) as gone:
        await client.get_schedule_handle(schedule_id(str(orphan))).describe()
    assert gone.value.status is RPCStatusCode.NOT_FOUND
    await reconcile(stack.database, schedules, client)  # idempotent: nothing comes back
    assert (await client.get_schedule_handle(schedule_id(connection)).describe()).schedule
    with pytest.raises(RPCError):
        await client.get_schedule_handle(schedule_id(str(orphan))).describe()


async def _until_listed(client: Client, wanted: str) -> None:
    """Schedule listing is eventually consistent; the reconciler only sees what is listed."""
    for _ in range(100):
        if wanted in [s.id async for s in await client.list_schedules()]:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{wanted} never listed")
