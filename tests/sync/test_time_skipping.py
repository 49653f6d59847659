"""Long waits in virtual time: Temporal's time-skipping test server.

The test server does not implement the Schedule API (CreateSchedule answers "unimplemented"),
so schedules themselves are exercised on the dev server (test_schedules.py); here we cover
what a schedule starts (ScheduledSyncWorkflow) and a provider's long Retry-After.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from orion.emulator.faults import FaultRule
from orion.entrypoints.worker import WORKFLOWS, activities_for
from orion.records.unified import Provider
from orion.sync.inputs import ScheduledSyncInput, SyncInput, sync_workflow_id
from orion.sync.workflows import ScheduledSyncWorkflow, SyncWorkflow
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack
from tests.sync.helpers import assert_matches_stripe, connect


async def test_a_ten_minute_retry_after_is_honoured(
    stack: Stack, emulator_accounts: EmulatorAccounts, time_skipping_env: WorkflowEnvironment
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=150, invoices=10, seed=4)
    connection = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    emulator_accounts.state.set_faults(
        Provider.STRIPE,
        account.api_key,
        [FaultRule(kind="rate_limit", first=1, retry_after=600, path_prefix="/v1/customers")],
    )
    queue = f"ts-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    async with Worker(
        client,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(stack.resources),
    ):
        handle = await client.start_workflow(
            SyncWorkflow.run,
            SyncInput(str(tenant), connection, trigger="manual"),
            id=sync_workflow_id(connection),
            task_queue=queue,
        )
        outcome = await handle.result()
    assert outcome.status == "completed"
    await assert_matches_stripe(stack, tenant, connection, account)
    # Retried attempts are not separate history events: the first page's activity shows up
    # once as scheduled, and its Started event carries the attempt that finally ran.
    scheduled: dict[int, tuple[str, datetime]] = {}
    waits = []
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            name = event.activity_task_scheduled_event_attributes.activity_type.name
            scheduled[event.event_id] = (name, event.event_time.ToDatetime())
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            attributes = event.activity_task_started_event_attributes
            name, at = scheduled[attributes.scheduled_event_id]
            if name == "sync.page" and attributes.attempt > 1:
                waits.append(event.event_time.ToDatetime() - at)
    assert len(waits) == 1
    assert waits[0] >= timedelta(seconds=600)


async def test_a_scheduled_start_skips_while_a_sync_runs(
    stack: Stack, emulator_accounts: EmulatorAccounts, time_skipping_env: WorkflowEnvironment
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=300, seed=6)
    connection = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    emulator_accounts.state.set_faults(
        Provider.STRIPE, account.api_key, [FaultRule(kind="latency", every=1, latency_ms=300)]
    )
    queue = f"ts-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    async with Worker(
        client,
        task_queue=queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(stack.resources),
    ):
        running = await client.start_workflow(
            SyncWorkflow.run,
            SyncInput(str(tenant), connection, trigger="manual"),
            id=sync_workflow_id(connection),
            task_queue=queue,
        )
        skipped = await client.execute_workflow(
            ScheduledSyncWorkflow.run,
            ScheduledSyncInput(str(tenant), connection),
            id=f"scheduled-{uuid.uuid4().hex[:6]}",
            task_queue=queue,
        )
        assert skipped.startswith("skipped")
        assert (await running.result()).status == "completed"
        after = await client.execute_workflow(
            ScheduledSyncWorkflow.run,
            ScheduledSyncInput(str(tenant), connection),
            id=f"scheduled-{uuid.uuid4().hex[:6]}",
            task_queue=queue,
        )
    assert after == "completed"
