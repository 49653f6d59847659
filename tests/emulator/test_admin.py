"""The `/_emulator` admin API, driven over HTTP as a test in another process would."""

from __future__ import annotations

import httpx
import stripe

from orion.emulator.churn import ChurnSpec
from tests.emulator.conftest import Receiver
from tests.fixtures.emulator import EmulatorAccounts


def test_stripe_account_lifecycle(emulator_accounts: EmulatorAccounts) -> None:
    admin = emulator_accounts.admin_client()
    key = "sk_test_admin_lifecycle_0001"
    emulator_accounts.adopt(stripe_key=key)

    created = admin.post("/stripe/accounts", json={"api_key": key, "customers": 5, "seed": 1})
    duplicate = admin.post("/stripe/accounts", json={"api_key": key})
    churn = admin.post(
        f"/stripe/accounts/{key}/churn",
        json={"customers": {"update": 2, "delete": 1, "create": 1}, "seed": 3},
    )
    truth = admin.get(f"/stripe/accounts/{key}/truth").json()
    deleted = admin.delete(f"/stripe/accounts/{key}")
    gone = admin.get(f"/stripe/accounts/{key}")

    assert created.status_code == 201
    assert created.json()["customers"] == 5
    assert created.json()["account_id"].startswith("acct_")
    assert duplicate.status_code == 409
    changes = churn.json()
    assert len(changes["customers"]["updated"]) == 2
    assert [e["type"] for e in changes["events"]].count("customer.deleted") == 1
    assert len(truth["customers"]) == 6
    assert sum(entry["deleted"] for entry in truth["customers"]) == 1
    assert deleted.status_code == 204
    assert gone.status_code == 404


def test_hubspot_portal_lifecycle(emulator_accounts: EmulatorAccounts) -> None:
    admin = emulator_accounts.admin_client()
    token = "pat-na1-admin-lifecycle-0001"
    emulator_accounts.adopt(hubspot_token=token)

    created = admin.post(
        "/hubspot/portals",
        json={
            "access_token": token,
            "contacts": 6,
            "invoices": 2,
            "rate_limits": {"search_max": 0},
        },
    )
    churn = admin.post(
        f"/hubspot/portals/{token}/churn", json={"contacts": {"update": 1, "delete": 1}}
    )
    limits = admin.put(f"/hubspot/portals/{token}/rate-limits", json={"burst_max": 50})
    bad_limits = admin.put(f"/hubspot/portals/{token}/rate-limits", json={"nope": 1})
    events = admin.get(f"/hubspot/portals/{token}/webhook-events").json()
    truth = admin.get(f"/hubspot/portals/{token}/truth").json()

    assert created.status_code == 201
    assert created.json()["rate_limits"]["search_max"] == 0
    assert churn.json()["contacts"]["deleted"] == [
        e["id"] for e in truth["contacts"] if e["archived"]
    ]
    assert limits.json()["burst_max"] == 50
    assert bad_limits.status_code == 422
    assert {e["subscriptionType"] for e in events} >= {"contact.propertyChange", "contact.deletion"}
    assert len(truth["invoices"]) == 2


def test_invalid_bodies_are_rejected(emulator_accounts: EmulatorAccounts) -> None:
    admin = emulator_accounts.admin_client()

    negative = admin.post("/stripe/accounts", json={"customers": -1})
    orphan_invoices = admin.post("/stripe/accounts", json={"invoices": 3})
    bad_rule = admin.put("/faults/stripe/sk_test_x", json={"rules": [{"kind": "meteor"}]})

    assert negative.status_code == 422
    assert orphan_invoices.status_code == 422
    assert bad_rule.status_code == 422


def test_per_account_clock_ages_events(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe()
    other = emulator_accounts.stripe()
    for each in (account, other):
        emulator_accounts.state.churn_stripe(each.api_key, customers=ChurnSpec(create=3))
    admin = emulator_accounts.admin_client()
    client = emulator_accounts.stripe_client(account)
    assert len(client.v1.events.list().data) == 3

    moved = admin.post(f"/clock/stripe/{account.api_key}/advance", json={"seconds": 31 * 86400})

    assert moved.json()["offset_seconds"] == 31 * 86400
    assert client.v1.events.list().data == []
    assert len(emulator_accounts.stripe_client(other).v1.events.list().data) == 3


def test_global_clock(emulator_accounts: EmulatorAccounts) -> None:
    admin = emulator_accounts.admin_client()
    portal = emulator_accounts.hubspot()
    try:
        before = portal.clock.now()
        admin.put("/clock", json={"offset_seconds": 3600})
        shown = admin.get("/clock").json()
        assert shown["offset_seconds"] == 3600
        assert portal.clock.now() - before >= 3600
    finally:
        admin.put("/clock", json={"offset_seconds": 0})


def test_faults_over_admin(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=1)
    admin = emulator_accounts.admin_client()
    client = emulator_accounts.stripe_client(account)

    admin.put(
        f"/faults/stripe/{account.api_key}",
        json={"rules": [{"kind": "rate_limit", "every": 2, "retry_after": 3}]},
    )
    outcomes = []
    for _ in range(4):
        try:
            client.v1.customers.list()
            outcomes.append(200)
        except stripe.RateLimitError:
            outcomes.append(429)
    stats = admin.get(f"/faults/stripe/{account.api_key}").json()
    admin.delete(f"/faults/stripe/{account.api_key}")
    cleared = admin.get(f"/faults/stripe/{account.api_key}").json()

    assert outcomes == [200, 429, 200, 429]
    assert stats["rules"][0]["fired"] == 2
    assert stats["rules"][0]["seen"] == 4
    assert cleared["requests"] == 0 and cleared["rules"] == []


def test_webhook_send_endpoint(
    emulator_accounts: EmulatorAccounts, webhook_receiver: Receiver
) -> None:
    account = emulator_accounts.stripe(customers=3, seed=4)
    emulator_accounts.state.churn_stripe(account.api_key, customers=ChurnSpec(create=3), seed=1)
    portal = emulator_accounts.hubspot(contacts=3, seed=4)
    emulator_accounts.state.churn_hubspot(portal.access_token, contacts=ChurnSpec(create=2), seed=1)
    admin = emulator_accounts.admin_client()

    stripe_answer = admin.post(
        "/webhooks/send",
        json={
            "provider": "stripe",
            "key": account.api_key,
            "url": webhook_receiver.url,
            "count": 2,
            "repeat": 2,
            "concurrency": 3,
        },
    ).json()
    hubspot_answer = admin.post(
        "/webhooks/send",
        json={"provider": "hubspot", "key": portal.access_token, "url": webhook_receiver.url},
    ).json()
    unknown = admin.post(
        "/webhooks/send",
        json={
            "provider": "stripe",
            "key": account.api_key,
            "url": webhook_receiver.url,
            "event_ids": ["evt_nope"],
        },
    )

    stripe_ids = [d["event_ids"][0] for d in stripe_answer["deliveries"]]
    assert [d["status"] for d in stripe_answer["deliveries"]] == [200] * 4
    assert sorted(stripe_ids) == sorted(account.event_log[-2:] * 2)
    assert [d["status"] for d in hubspot_answer["deliveries"]] == [200]
    assert unknown.status_code == 404
    assert len(webhook_receiver.requests) == 5


def test_overview_and_health(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=2)

    health = httpx.get(f"{emulator_accounts.url}/_emulator/health")
    overview = emulator_accounts.admin_client().get("/state").json()

    assert health.json() == {"status": "ok"}
    assert account.api_key in {a["api_key"] for a in overview["stripe_accounts"]}
