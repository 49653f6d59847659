"""Connecting provider accounts through the API, against the emulator."""

from __future__ import annotations

import uuid

from temporalio.client import ScheduleHandle
from temporalio.service import RPCError

from orion.emulator.faults import FaultRule
from orion.records.unified import Provider
from orion.sync.inputs import schedule_id
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack


async def create_stripe(stack: Stack, tenant: uuid.UUID, api_key: str, **extra: object):  # type: ignore[no-untyped-def]
    body = {"provider": "stripe", "api_key": api_key, **extra}
    return await stack.api.post("/api/v1/connections", json=body, headers=stack.headers(tenant))


async def test_connect_stripe_and_hubspot_credentials_stay_secret(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=3)
    portal = emulator_accounts.hubspot(contacts=3)
    stripe = await create_stripe(stack, tenant, account.api_key, webhook_secrets=["whsec_abc123"])
    hubspot = await stack.api.post(
        "/api/v1/connections",
        json={"provider": "hubspot", "access_token": portal.access_token, "display_name": "CRM"},
        headers=stack.headers(tenant),
    )
    assert stripe.status_code == 201, stripe.text
    assert hubspot.status_code == 201, hubspot.text
    assert stripe.json()["external_account_id"] == account.info.id
    assert hubspot.json()["external_account_id"] == str(portal.portal_id)
    assert stripe.json()["has_webhook_secrets"] is True
    listed = await stack.api.get("/api/v1/connections", headers=stack.headers(tenant))
    one = await stack.api.get(
        f"/api/v1/connections/{stripe.json()['id']}", headers=stack.headers(tenant)
    )
    for response in (stripe, hubspot, listed, one):
        assert account.api_key not in response.text
        assert portal.access_token not in response.text
        assert "whsec_abc123" not in response.text
        assert "credentials" not in response.text
    assert {c["provider"] for c in listed.json()} == {"stripe", "hubspot"}


async def test_bad_key_is_422_with_the_providers_reason(stack: Stack) -> None:
    response = await create_stripe(stack, uuid.uuid4(), "sk_test_not_a_real_key_123")
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "key" in message.lower()
    assert "sk_test_not_a_real_key_123" not in response.text


async def test_duplicate_account_is_409(stack: Stack, emulator_accounts: EmulatorAccounts) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe()
    assert (await create_stripe(stack, tenant, account.api_key)).status_code == 201
    again = await create_stripe(stack, tenant, account.api_key)
    assert again.status_code == 409
    assert account.info.id in again.json()["error"]["message"]


async def test_a_provider_redirect_is_not_followed(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    account = emulator_accounts.stripe()
    emulator_accounts.state.set_faults(
        Provider.STRIPE, account.api_key, [FaultRule(kind="redirect", every=1)]
    )
    traps_before = len(emulator_accounts.state.faults.trap_hits())
    response = await create_stripe(stack, uuid.uuid4(), account.api_key)
    assert response.status_code == 422
    assert "redirect" in response.json()["error"]["message"].lower()
    assert len(emulator_accounts.state.faults.trap_hits()) == traps_before


async def test_other_tenants_cannot_see_or_touch_a_connection(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    owner, stranger = uuid.uuid4(), uuid.uuid4()
    created = await create_stripe(stack, owner, emulator_accounts.stripe().api_key)
    path = f"/api/v1/connections/{created.json()['id']}"
    assert (await stack.api.get(path, headers=stack.headers(stranger))).status_code == 404
    assert (await stack.api.delete(path, headers=stack.headers(stranger))).status_code == 404
    assert (
        await stack.api.get("/api/v1/connections", headers=stack.headers(stranger))
    ).json() == []
    assert (await stack.api.get(path, headers=stack.headers(owner))).status_code == 200


async def test_pause_and_delete_follow_the_schedule(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    created = (await create_stripe(stack, tenant, emulator_accounts.stripe().api_key)).json()
    assert stack.resources.temporal is not None
    handle: ScheduleHandle = stack.resources.temporal.get_schedule_handle(
        schedule_id(created["id"])
    )
    assert (await handle.describe()).schedule.state.paused is False
    path = f"/api/v1/connections/{created['id']}"
    paused = await stack.api.patch(
        path, json={"status": "paused", "sync_interval_seconds": 900}, headers=stack.headers(tenant)
    )
    assert paused.json()["status"] == "paused"
    described = await handle.describe()
    assert described.schedule.state.paused is True
    assert described.schedule.spec.intervals[0].every.total_seconds() == 900
    assert (await stack.api.delete(path, headers=stack.headers(tenant))).status_code == 204
    try:
        await handle.describe()
        raise AssertionError("the schedule survived its connection")
    except RPCError:
        pass
    assert (await stack.api.get(path, headers=stack.headers(tenant))).status_code == 404


async def test_credentials_can_be_replaced_only_for_the_same_account(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    first, other = emulator_accounts.stripe(), emulator_accounts.stripe()
    created = (await create_stripe(stack, tenant, first.api_key)).json()
    path = f"/api/v1/connections/{created['id']}"
    wrong = await stack.api.patch(
        path, json={"api_key": other.api_key}, headers=stack.headers(tenant)
    )
    assert wrong.status_code == 422
    assert other.info.id in wrong.json()["error"]["message"]
    same = await stack.api.patch(
        path, json={"api_key": first.api_key}, headers=stack.headers(tenant)
    )
    assert same.status_code == 200
