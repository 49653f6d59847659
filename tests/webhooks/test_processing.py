"""Processing: exactly one effect per event, newest wins whatever the order, dead and replay."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest
from temporalio.worker import Replayer

from orion.emulator.churn import ChurnSpec
from orion.emulator.faults import FaultRule
from orion.emulator.hubspot.portal import HubSpotPortal
from orion.emulator.truth import content_hash
from orion.records.unified import Provider
from orion.webhooks.events import hubspot_event_id
from orion.webhooks.inputs import process_workflow_id
from orion.webhooks.workflows import ProcessWebhookWorkflow
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack
from tests.webhooks.conftest import StackFactory
from tests.webhooks.helpers import (
    add_connection,
    executions,
    inbox_rows,
    new_tenant,
    post_hubspot,
    post_stripe,
    rendered,
    stripe_connection,
    wait_until_settled,
)


def temporal(stack: Stack) -> Any:
    assert stack.resources.temporal is not None
    return stack.resources.temporal


async def hubspot_connection(stack: Stack, portal: HubSpotPortal) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = await new_tenant(stack.database)
    connection = await add_connection(
        stack.database, stack.resources.vault, tenant, provider="hubspot",
        account=str(portal.portal_id), credential=portal.access_token,
    )  # fmt: skip
    return tenant, connection


@pytest.mark.parametrize("copies", [1, 3, 10])
async def test_same_event_delivered_concurrently_has_exactly_one_effect(
    hooks: Stack, emulator_accounts: EmulatorAccounts, copies: int
) -> None:
    account = emulator_accounts.stripe(customers=1, seed=copies)
    tenant, connection = await stripe_connection(hooks, account)
    state = emulator_accounts.state
    (baseline,) = rendered(account, [e.id for e in state.churn_stripe(
        account.api_key, customers=ChurnSpec(update=1), step_seconds=1).events])  # fmt: skip
    assert (await post_stripe(hooks.api, connection, baseline, account.webhook_secret)).is_success
    await wait_until_settled(hooks.database, tenant, connection, 1)
    customer = baseline["data"]["object"]["id"]
    before = (await hooks.records(tenant, str(connection), "customer"))[customer].version

    (event,) = rendered(account, [e.id for e in state.churn_stripe(
        account.api_key, customers=ChurnSpec(update=1), step_seconds=1).events])  # fmt: skip
    answers = await asyncio.gather(
        *(post_stripe(hooks.api, connection, event, account.webhook_secret) for _ in range(copies))
    )

    assert [a.status_code for a in answers] == [200] * copies
    assert sum(1 for a in answers if not a.json()["duplicate"]) == 1
    rows = await wait_until_settled(hooks.database, tenant, connection, 2)
    assert len(rows) == 2
    workflow_id = process_workflow_id("stripe", str(connection), event["id"], 0)
    assert await executions(temporal(hooks), workflow_id) == 1
    after = (await hooks.records(tenant, str(connection), "customer"))[customer]
    assert after.version == before + 1
    assert after.raw == event["data"]["object"]


async def test_hubspot_batch_mixing_seen_and_unseen_applies_only_the_unseen(
    hooks: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    portal = emulator_accounts.hubspot(contacts=6, seed=7)
    tenant, connection = await hubspot_connection(hooks, portal)
    state = emulator_accounts.state
    seen = state.churn_hubspot(portal.access_token, contacts=ChurnSpec(update=2)).webhook_events
    first = await post_hubspot(hooks.api, seen)
    assert first.json()["stored"] == len(seen)
    await wait_until_settled(hooks.database, tenant, connection, len(seen))
    versions = {k: r.version for k, r in (await hooks.records(tenant, str(connection),
                                                              "customer")).items()}  # fmt: skip

    unseen = state.churn_hubspot(
        portal.access_token, contacts=ChurnSpec(create=1), step_ms=1000
    ).webhook_events
    retried = [{**event, "attemptNumber": 1} for event in seen]  # HubSpot's retry of batch 1
    mixed = await post_hubspot(hooks.api, [*retried, *unseen])

    assert mixed.status_code == 200
    assert mixed.json() == {"received": len(seen) + len(unseen), "stored": len(unseen),
                            "duplicates": len(seen), "ignored": 0}  # fmt: skip
    rows = await wait_until_settled(hooks.database, tenant, connection, len(seen) + len(unseen))
    assert len(rows) == len(seen) + len(unseen)
    for event in [*seen, *unseen]:
        workflow_id = process_workflow_id("hubspot", str(connection), hubspot_event_id(event), 0)
        assert await executions(temporal(hooks), workflow_id) == 1
    stored = await hooks.records(tenant, str(connection), "customer")
    for contact, version in versions.items():
        assert stored[contact].version == version, "a seen event was applied again"
    (created,) = {str(e["objectId"]) for e in unseen}
    assert created in stored and created not in versions


@pytest.mark.parametrize(("step", "seed"), [(0, 1), (0, 2), (1, 3)])
async def test_stripe_events_in_any_order_leave_the_newest_state(
    hooks: Stack, emulator_accounts: EmulatorAccounts, step: int, seed: int
) -> None:
    """``step`` 0: all changes in one second (ties: the current object is fetched)."""
    account = emulator_accounts.stripe(customers=1, seed=seed)
    tenant, connection = await stripe_connection(hooks, account)
    ids: list[str] = []
    for _ in range(6):
        churn = emulator_accounts.state.churn_stripe(
            account.api_key, customers=ChurnSpec(update=1), step_seconds=step
        )
        ids.extend(e.id for e in churn.events)
    churn = emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(delete=1 if seed == 2 else 0), step_seconds=step
    )
    ids.extend(e.id for e in churn.events)
    events = rendered(account, ids)
    random.Random(seed).shuffle(events)

    for event in events:
        assert (await post_stripe(hooks.api, connection, event, account.webhook_secret)).is_success
    await wait_until_settled(hooks.database, tenant, connection, len(events))

    (truth,) = account.truth()["customers"]
    row = (await hooks.records(tenant, str(connection), "customer"))[truth.id]
    assert (row.deleted_at is not None) == truth.deleted
    if not truth.deleted:
        assert content_hash(row.raw) == truth.hash


async def test_hubspot_events_in_any_order_leave_the_newest_state(
    hooks: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    portal = emulator_accounts.hubspot(contacts=1, seed=9)
    tenant, connection = await hubspot_connection(hooks, portal)
    events: list[dict[str, Any]] = []
    for step in (0, 1000, 0, 1000):
        churn = emulator_accounts.state.churn_hubspot(
            portal.access_token, contacts=ChurnSpec(update=1), step_ms=step
        )
        events.extend(churn.webhook_events)
    random.Random(4).shuffle(events)
    for event in events:
        assert (await post_hubspot(hooks.api, [event])).is_success
    await wait_until_settled(hooks.database, tenant, connection, len(events))
    (truth,) = portal.truth()["contacts"]
    row = (await hooks.records(tenant, str(connection), "customer"))[truth["id"]]
    assert row.source_updated_at.timestamp() * 1000 == truth["updated_at"]


async def test_failing_event_goes_dead_then_replays_once(
    webhook_stack: StackFactory, emulator_accounts: EmulatorAccounts
) -> None:
    portal = emulator_accounts.hubspot(contacts=2, seed=11)
    state = emulator_accounts.state
    state.set_faults(
        Provider.HUBSPOT, portal.access_token, [FaultRule(kind="server_error", every=1)]
    )
    async with webhook_stack(WEBHOOKS_MAX_ATTEMPTS="2") as stack:
        tenant, connection = await hubspot_connection(stack, portal)
        events = state.churn_hubspot(
            portal.access_token, contacts=ChurnSpec(update=1)
        ).webhook_events
        event = events[0]
        assert (await post_hubspot(stack.api, [event])).is_success
        (row,) = await wait_until_settled(stack.database, tenant, connection, 1, final=("dead",))
        assert row.attempts == 2 and row.last_error and "HubSpot" in row.last_error
        headers = stack.headers(tenant)
        listed = await stack.api.get(
            "/api/v1/webhook-events", params={"status": "dead"}, headers=headers
        )
        assert [item["id"] for item in listed.json()["data"]] == [str(row.id)]

        state.set_faults(Provider.HUBSPOT, portal.access_token, [])
        replays = await asyncio.gather(
            *(stack.api.post(f"/api/v1/webhook-events/{row.id}/replay", headers=headers)
              for _ in range(4))
        )  # fmt: skip
        codes = sorted(r.status_code for r in replays)
        assert codes == [202, 409, 409, 409], [r.text for r in replays]
        (done,) = await wait_until_settled(stack.database, tenant, connection, 1)
        assert (done.replays, done.attempts, done.last_error) == (1, 1, None)
        first = process_workflow_id("hubspot", str(connection), hubspot_event_id(event), 0)
        again = process_workflow_id("hubspot", str(connection), hubspot_event_id(event), 1)
        assert await executions(temporal(stack), first) == 1
        assert await executions(temporal(stack), again) == 1
        for workflow_id in (first, again):  # both paths (dead, processed) replay deterministically
            history = await temporal(stack).get_workflow_handle(workflow_id).fetch_history()
            await Replayer(workflows=[ProcessWebhookWorkflow]).replay_workflow(history)
        contact = str(event["objectId"])
        assert contact in await stack.records(tenant, str(connection), "customer")
        rows = await inbox_rows(stack.database, tenant, connection)
        assert [r.status for r in rows] == ["processed"]
