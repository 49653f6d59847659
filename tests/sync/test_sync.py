"""Durable syncs end to end: API -> Temporal -> worker -> emulator -> Postgres."""

from __future__ import annotations

import uuid

from orion.emulator.churn import ChurnSpec
from orion.emulator.faults import FaultRule
from orion.records.unified import Provider
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack
from tests.sync.helpers import assert_matches_hubspot, assert_matches_stripe, connect, sync_now


async def test_full_sync_of_ten_thousand_records_per_provider_is_exact(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=6000, invoices=4000, seed=7)
    portal = emulator_accounts.hubspot(contacts=6000, invoices=4000, seed=7)
    stripe_id = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    hubspot_id = await connect(
        stack, tenant, {"provider": "hubspot", "access_token": portal.access_token}
    )
    stripe_run = await sync_now(stack, tenant, stripe_id)
    hubspot_run = await sync_now(stack, tenant, hubspot_id)
    assert stripe_run["status"] == "completed", stripe_run
    assert hubspot_run["status"] == "completed", hubspot_run
    await assert_matches_stripe(stack, tenant, stripe_id, account)
    await assert_matches_hubspot(stack, tenant, hubspot_id, portal.truth())
    assert stripe_run["records_upserted"] == 10_000
    assert hubspot_run["records_upserted"] == 10_000
    connection = await stack.api.get(
        f"/api/v1/connections/{stripe_id}", headers=stack.headers(tenant)
    )
    assert connection.json()["last_synced_at"] is not None


async def test_incremental_sync_applies_exactly_the_churn(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=3000, invoices=0, seed=3)
    connection = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    full = await sync_now(stack, tenant, connection)
    churn = emulator_accounts.state.churn_stripe(
        account.api_key,
        customers=ChurnSpec(update=30, delete=5, create=4),
        invoices=ChurnSpec(),
        step_seconds=1,
    )
    incremental = await sync_now(stack, tenant, connection)
    assert incremental["status"] == "completed"
    assert incremental["records_upserted"] == 30 + 5 + 4
    assert incremental["records_deleted"] == 5
    assert incremental["pages"] <= 4, incremental  # proportional to the churn, not the data
    assert full["pages"] >= 30
    assert churn is not None
    await assert_matches_stripe(stack, tenant, connection, account)
    again = await sync_now(stack, tenant, connection)
    assert again["records_upserted"] == 0  # nothing changed: nothing applied


async def test_a_429_storm_is_waited_out(stack: Stack, emulator_accounts: EmulatorAccounts) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=600, invoices=200, seed=5)
    connection = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    emulator_accounts.state.set_faults(
        Provider.STRIPE,
        account.api_key,
        [FaultRule(kind="rate_limit", every=2, retry_after=1, path_prefix="/v1/customers")],
    )
    run = await sync_now(stack, tenant, connection)
    assert run["status"] == "completed", run
    await assert_matches_stripe(stack, tenant, connection, account)
    stats = emulator_accounts.state.fault_stats(Provider.STRIPE, account.api_key)
    assert stats["faults"]["rate_limit"] >= 3
    for entry in stats["rate_limited"]:
        if entry.get("retried_at") is not None:
            assert entry["retried_at"] - entry["at"] >= entry["retry_after"] * 0.95, entry


async def test_bad_credentials_mark_the_connection_needs_reauth(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=10)
    connection = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    emulator_accounts.state.remove_stripe_account(account.api_key)  # the key is revoked
    run = await sync_now(stack, tenant, connection)
    assert run["status"] == "failed"
    assert "key" in run["error"].lower()
    state = (
        await stack.api.get(f"/api/v1/connections/{connection}", headers=stack.headers(tenant))
    ).json()
    assert state["status"] == "needs_reauth"
    assert "key" in state["status_reason"].lower()
    refused = await stack.api.post(
        f"/api/v1/connections/{connection}/sync", headers=stack.headers(tenant)
    )
    assert refused.status_code == 422


async def test_a_gap_relists_and_marks_what_vanished_meanwhile_deleted(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=300, invoices=0, seed=9)
    connection = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    assert (await sync_now(stack, tenant, connection))["gap"] is False
    emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(delete=5, update=3), invoices=ChurnSpec()
    )
    account.clock.advance(31 * 86400)  # Orion was away: every event, deletions too, expired
    run = await sync_now(stack, tenant, connection)
    assert run["status"] == "completed", run
    assert run["gap"] is True
    assert run["records_deleted"] == 5
    await assert_matches_stripe(stack, tenant, connection, account)
