"""The receivers over HTTP: status codes, storage before the answer, routing, the events API."""

from __future__ import annotations

import json
import time
import uuid

from sqlalchemy import update

from orion.connections.models import connections
from orion.emulator.churn import ChurnSpec
from orion.emulator.webhooks import stripe_signature_header
from orion.webhooks.events import hubspot_event_id
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack
from tests.webhooks.conftest import StackFactory
from tests.webhooks.helpers import (
    HUBSPOT_PATH,
    add_connection,
    count_rows,
    hubspot_delivery,
    inbox_rows,
    metric,
    new_tenant,
    post_hubspot,
    post_stripe,
    rendered,
    stripe_connection,
    stripe_delivery,
    updated_customer_event,
    wait_until_settled,
)


async def test_stripe_event_is_stored_acknowledged_and_processed(
    hooks: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    account = emulator_accounts.stripe(customers=3, seed=1)
    tenant, connection = await stripe_connection(hooks, account)
    event = updated_customer_event(emulator_accounts, account)

    first = await post_stripe(hooks.api, connection, event, account.webhook_secret)
    again = await post_stripe(hooks.api, connection, event, account.webhook_secret)

    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "duplicate": False, "event_id": event["id"]}
    assert again.json()["duplicate"] is True
    (row,) = await wait_until_settled(hooks.database, tenant, connection, 1)
    assert (row.event_id, row.event_type, row.attempts) == (event["id"], "customer.updated", 1)
    assert row.raw_body == stripe_delivery(event, account.webhook_secret)[0]
    records = await hooks.records(tenant, str(connection), "customer")
    assert records[event["data"]["object"]["id"]].raw == event["data"]["object"]
    assert metric(hooks, "orion_webhooks_received_total", provider="stripe") >= 1
    assert metric(hooks, "orion_webhooks_duplicate_total", provider="stripe") >= 1


async def test_stripe_refusals(hooks: Stack, emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=1, seed=2)
    tenant, connection = await stripe_connection(hooks, account)
    event = updated_customer_event(emulator_accounts, account)
    body, headers = stripe_delivery(event, account.webhook_secret)
    url = f"/api/v1/webhooks/stripe/{connection}"
    before = metric(hooks, "orion_webhooks_rejected_total", provider="stripe",
                    reason="invalid_signature")  # fmt: skip

    missing = await hooks.api.post(url, content=body)
    tampered = await hooks.api.post(url, content=body.replace(b'"id"', b'"ID"', 1), headers=headers)
    wrong = await hooks.api.post(
        url, content=body, headers=stripe_delivery(event, "whsec_not_this_one")[1]
    )
    unknown = await hooks.api.post(f"/api/v1/webhooks/stripe/{uuid.uuid4()}", content=body,
                                   headers=headers)  # fmt: skip
    not_an_id = await hooks.api.post("/api/v1/webhooks/stripe/acct_123", content=body,
                                     headers=headers)  # fmt: skip
    garbage = b"{not json"
    signed_garbage = stripe_signature_header(
        garbage.decode(), account.webhook_secret, int(time.time())
    )
    garbage_headers = {"Stripe-Signature": signed_garbage}
    malformed = await hooks.api.post(url, content=garbage, headers=garbage_headers)

    assert missing.status_code == 400
    assert tampered.status_code == 401
    assert wrong.status_code == 401
    assert account.webhook_secret not in wrong.text
    assert unknown.status_code == 404
    assert not_an_id.status_code == 404
    assert malformed.status_code == 400, malformed.text
    assert await count_rows(hooks.database, tenant, connection) == 0
    after = metric(hooks, "orion_webhooks_rejected_total", provider="stripe",
                   reason="invalid_signature")  # fmt: skip
    assert after - before == 2


async def test_rolling_secrets_and_a_rotation_seen_at_once(
    hooks: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    account = emulator_accounts.stripe(customers=2, seed=3)
    tenant = await new_tenant(hooks.database)
    connection = await add_connection(
        hooks.database, hooks.resources.vault, tenant, provider="stripe", account=account.id,
        credential=account.api_key, webhook_secrets=["whsec_old", "whsec_new"],
    )  # fmt: skip
    churn = emulator_accounts.state.churn_stripe(account.api_key, customers=ChurnSpec(update=2))
    first, second = rendered(account, [e.id for e in churn.events])

    assert (await post_stripe(hooks.api, connection, first, "whsec_old")).status_code == 200
    assert (await post_stripe(hooks.api, connection, second, "whsec_new")).status_code == 200
    # The secrets are cached now; rotate them in the database: the next delivery signed with
    # the newest secret must pass at once (a 401 re-reads the secrets before refusing).
    sealed = hooks.resources.vault.seal(json.dumps(["whsec_newest"]).encode())
    async with hooks.database.tenant_transaction(tenant) as session:
        await session.execute(
            update(connections)
            .where(connections.c.id == connection)
            .values(webhook_secrets=sealed.token, webhook_secrets_key_id=sealed.key_id)
        )
    third = updated_customer_event(emulator_accounts, account)
    assert (await post_stripe(hooks.api, connection, third, "whsec_newest")).status_code == 200
    assert (await post_stripe(hooks.api, connection, third, "whsec_old")).status_code == 401


async def test_hubspot_batch_is_routed_by_portal(
    hooks: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    portal = emulator_accounts.hubspot(contacts=3, seed=4, client_secret="unused")
    tenant = await new_tenant(hooks.database)
    connection = await add_connection(
        hooks.database, hooks.resources.vault, tenant, provider="hubspot",
        account=str(portal.portal_id), credential=portal.access_token,
    )  # fmt: skip
    churn = emulator_accounts.state.churn_hubspot(portal.access_token, contacts=ChurnSpec(update=1))
    events = churn.webhook_events
    stranger = {**events[0], "portalId": 999, "eventId": 1}

    response = await post_hubspot(hooks.api, [*events, stranger])

    assert response.status_code == 200, response.text
    assert response.json() == {
        "received": len(events) + 1, "stored": len(events), "duplicates": 0, "ignored": 1,
    }  # fmt: skip
    rows = await wait_until_settled(hooks.database, tenant, connection, len(events))
    assert {row.event_id for row in rows} == {hubspot_event_id(e) for e in events}
    contact = str(events[0]["objectId"])
    stored = await hooks.records(tenant, str(connection), "customer")
    truth = {c["id"]: c for c in portal.truth()["contacts"]}
    assert stored[contact].source_updated_at.timestamp() * 1000 == truth[contact]["updated_at"]


async def test_hubspot_refusals(hooks: Stack) -> None:
    events = json.loads(
        '[{"eventId": 1, "subscriptionId": 2, "portalId": 3, "occurredAt": 4, '
        '"subscriptionType": "contact.creation", "objectId": 5}]'
    )
    body, headers = hubspot_delivery(events)
    wrong_method = await hooks.api.put(HUBSPOT_PATH, content=body, headers=headers)
    other_uri = hubspot_delivery(events, uri="https://elsewhere.example" + HUBSPOT_PATH)
    moved = await hooks.api.post(HUBSPOT_PATH, content=other_uri[0], headers=other_uri[1])
    queried = await hooks.api.post(HUBSPOT_PATH + "?x=1", content=body, headers=headers)
    bad_json, bad_headers = b"[{", hubspot_delivery(events)[1]
    bad_json_signed = hubspot_delivery([])  # valid signature over "[]", which is no batch
    empty = await hooks.api.post(HUBSPOT_PATH, content=bad_json_signed[0],
                                 headers=bad_json_signed[1])  # fmt: skip
    unsigned_garbage = await hooks.api.post(HUBSPOT_PATH, content=bad_json, headers=bad_headers)

    assert wrong_method.status_code == 405
    assert moved.status_code == 401
    assert queried.status_code == 401
    assert empty.status_code == 400
    assert unsigned_garbage.status_code == 401


async def test_hubspot_signs_the_configured_public_url(webhook_stack: StackFactory) -> None:
    public = "https://hooks.orion.example"
    async with webhook_stack(WEBHOOKS_PUBLIC_BASE_URL=public) as stack:
        events = [{"eventId": 1, "subscriptionId": 2, "portalId": 3, "occurredAt": 4,
                   "subscriptionType": "contact.creation", "objectId": 5}]  # fmt: skip
        path = HUBSPOT_PATH + "?app=orion%3Aprod&x=%20"
        body, headers = hubspot_delivery(events, uri=public + path)
        accepted = await stack.api.post(path, content=body, headers=headers)
        local = hubspot_delivery(events, uri="http://testserver" + path)
        refused = await stack.api.post(path, content=local[0], headers=local[1])
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["ignored"] == 1  # portal 3 is nobody's
    assert refused.status_code == 401


async def test_events_api_lists_filters_pages_and_isolates(
    hooks: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    account = emulator_accounts.stripe(customers=5, seed=5)
    tenant, connection = await stripe_connection(hooks, account)
    churn = emulator_accounts.state.churn_stripe(account.api_key, customers=ChurnSpec(update=5))
    for event in rendered(account, [e.id for e in churn.events]):
        assert (await post_stripe(hooks.api, connection, event, account.webhook_secret)).is_success
    await wait_until_settled(hooks.database, tenant, connection, 5)
    headers = hooks.headers(tenant)

    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": "2", "provider": "stripe", "connection_id": str(connection)}
        if cursor:
            params["cursor"] = cursor
        page = await hooks.api.get("/api/v1/webhook-events", params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        assert all("payload" not in item and "raw_body" not in item for item in body["data"])
        seen.extend(item["id"] for item in body["data"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 5
    dead = await hooks.api.get("/api/v1/webhook-events", params={"status": "dead"}, headers=headers)
    assert dead.json()["data"] == []
    detail = await hooks.api.get(f"/api/v1/webhook-events/{seen[0]}", headers=headers)
    assert detail.json()["payload"]["object"] == "event"
    assert "stripe-signature" in detail.json()["headers"]
    stranger = hooks.headers(await new_tenant(hooks.database))
    hidden = await hooks.api.get(f"/api/v1/webhook-events/{seen[0]}", headers=stranger)
    assert hidden.status_code == 404
    listed = await hooks.api.get("/api/v1/webhook-events", headers=stranger)
    assert listed.json()["data"] == []
    rows = await inbox_rows(hooks.database, tenant, connection)
    assert {str(row.id) for row in rows} == set(seen)
