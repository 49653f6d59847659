"""The outbox relay: events stored but never handed over are dispatched once, by anyone."""

from __future__ import annotations

import asyncio

from orion.emulator.churn import ChurnSpec
from orion.webhooks.events import parse_stripe
from orion.webhooks.inputs import process_workflow_id
from orion.webhooks.relay import relay_once
from orion.webhooks.repository import InboxRow, driver_connection, insert_events
from tests.fixtures.emulator import EmulatorAccounts
from tests.webhooks.conftest import StackFactory
from tests.webhooks.helpers import (
    executions,
    inbox_rows,
    rendered,
    stripe_connection,
    stripe_delivery,
    wait_until_settled,
)


async def test_two_relays_racing_dispatch_each_event_once(
    webhook_stack: StackFactory, emulator_accounts: EmulatorAccounts
) -> None:
    account = emulator_accounts.stripe(customers=12, seed=51)
    async with webhook_stack() as stack:
        tenant, connection = await stripe_connection(stack, account)
        churn = emulator_accounts.state.churn_stripe(
            account.api_key, customers=ChurnSpec(update=12)
        )
        events = rendered(account, [e.id for e in churn.events])
        rows = []
        for event in events:  # stored as if the API had died right after its commit
            body = stripe_delivery(event, account.webhook_secret)[0]
            rows.append(InboxRow(tenant, connection, "stripe", parse_stripe(body), body, "{}"))
        async with driver_connection(stack.database) as driver:
            await insert_events(driver, rows)
        assert {row.status for row in await inbox_rows(stack.database, tenant, connection)} == {
            "received"
        }
        client = stack.resources.temporal
        assert client is not None
        queue = stack.settings.temporal.task_queue

        counts = await asyncio.gather(
            *(relay_once(stack.database, client, queue, delay=0, max_attempts=3) for _ in range(3))
        )

        assert sum(counts) >= len(events)  # all dispatched (another test's rows may join)
        await wait_until_settled(stack.database, tenant, connection, len(events))
        for event in events:
            workflow_id = process_workflow_id("stripe", str(connection), event["id"], 0)
            assert await executions(client, workflow_id) == 1
