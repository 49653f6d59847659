"""Fault injection: deterministic schedules, every fault kind, and the counters."""

from __future__ import annotations

import time

import httpx
import pytest
import stripe

from orion.emulator.faults import FaultRegistry, FaultRule
from tests.fixtures.emulator import EmulatorAccounts


def _statuses(client: httpx.Client, path: str, count: int) -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def test_every_other_request_is_rate_limited(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=2)
    emulator_accounts.state.faults.set_rules(
        "stripe", account.api_key, [FaultRule("rate_limit", every=2, retry_after=7)]
    )
    client = emulator_accounts.stripe_client(account)

    outcomes: list[str] = []
    limited: list[stripe.RateLimitError] = []
    for _ in range(4):
        try:
            client.v1.customers.list()
            outcomes.append("ok")
        except stripe.RateLimitError as exc:
            limited.append(exc)
            outcomes.append("429")

    headers = limited[0].headers or {}
    assert headers["Retry-After"] == "7"
    assert headers["Request-Id"].startswith("req_")
    stats = emulator_accounts.state.faults.stats("stripe", account.api_key)
    assert outcomes == ["ok", "429", "ok", "429"]
    assert stats["requests"] == 4
    assert stats["faults"]["rate_limit"] == 2
    assert stats["statuses"] == {"200": 2, "429": 2}
    assert [e["retry_after"] for e in stats["rate_limited"]] == [7.0, 7.0]


def test_retry_after_log_shows_when_the_retry_came(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=1)
    emulator_accounts.state.faults.set_rules(
        "hubspot", portal.access_token, [FaultRule("rate_limit", first=1, retry_after=1)]
    )
    client = emulator_accounts.hubspot_client(portal)

    limited = client.get("/crm/v3/objects/contacts", params={"limit": 5})
    time.sleep(float(limited.headers["Retry-After"]))
    retried = client.get("/crm/v3/objects/contacts", params={"limit": 5})

    entry = emulator_accounts.state.fault_stats("hubspot", portal.access_token)["rate_limited"][0]
    assert limited.status_code == 429
    assert "X-HubSpot-RateLimit-Remaining" in limited.headers
    assert limited.json()["errorType"] == "RATE_LIMIT"
    assert retried.status_code == 200
    assert entry["path"] == "/crm/v3/objects/contacts?limit=5"
    assert entry["retried_at"] is not None
    assert entry["waited_seconds"] >= entry["retry_after"]


def test_probability_schedule_is_reproducible() -> None:
    def pattern(seed: int) -> list[bool]:
        registry = FaultRegistry()
        registry.set_rules("stripe", "k", [FaultRule("server_error", probability=0.5, seed=seed)])
        plan = registry.plan("stripe", "k")
        return [plan.decide("GET", "/v1/customers").fault is not None for _ in range(40)]

    assert pattern(1) == pattern(1)
    assert pattern(1) != pattern(2)
    assert 5 < sum(pattern(1)) < 35


def test_first_max_faults_path_and_method_filters() -> None:
    registry = FaultRegistry()
    registry.set_rules(
        "stripe",
        "k",
        [
            FaultRule("server_error", path_prefix="/v1/invoices", method="GET", max_faults=2),
            FaultRule("rate_limit", first=1),
        ],
    )
    plan = registry.plan("stripe", "k")

    kinds = [
        (decision.fault.kind if decision.fault else None)
        for decision in (
            plan.decide("GET", "/v1/customers"),
            plan.decide("GET", "/v1/invoices"),
            plan.decide("POST", "/v1/invoices"),
            plan.decide("GET", "/v1/invoices?limit=3"),
            plan.decide("GET", "/v1/invoices"),
        )
    ]

    assert kinds == ["rate_limit", "server_error", None, "server_error", None]


def test_server_errors_are_retried_by_the_sdk(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=3)
    emulator_accounts.state.faults.set_rules(
        "stripe", account.api_key, [FaultRule("server_error", first=1, status=503)]
    )
    client = emulator_accounts.stripe_client(account, max_network_retries=2)

    customers = client.v1.customers.list()

    stats = emulator_accounts.state.faults.stats("stripe", account.api_key)
    assert len(customers.data) == 3
    assert stats["requests"] == 2
    assert stats["statuses"] == {"200": 1, "503": 1}


def test_server_error_body_without_retries(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe()
    emulator_accounts.state.faults.set_rules("stripe", account.api_key, [FaultRule("server_error")])

    with pytest.raises(stripe.APIError) as caught:
        emulator_accounts.stripe_client(account).v1.customers.list()

    assert caught.value.http_status == 500


def test_latency_is_counted(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=1)
    emulator_accounts.state.faults.set_rules(
        "hubspot", portal.access_token, [FaultRule("latency", latency_ms=20, every=1)]
    )
    client = emulator_accounts.hubspot_client(portal)

    assert _statuses(client, "/crm/v3/objects/contacts", 2) == [200, 200]
    assert (
        emulator_accounts.state.faults.stats("hubspot", portal.access_token)["faults"]["latency"]
        == 2
    )


def test_connection_reset_sends_no_response(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=1)
    emulator_accounts.state.faults.set_rules(
        "stripe", account.api_key, [FaultRule("reset", first=2)]
    )
    headers = {"Authorization": f"Bearer {account.api_key}"}

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.get(f"{emulator_accounts.url}/v1/customers", headers=headers)
    with pytest.raises(stripe.APIConnectionError):
        emulator_accounts.stripe_client(account).v1.customers.list()
    after = httpx.get(f"{emulator_accounts.url}/v1/customers", headers=headers)

    stats = emulator_accounts.state.faults.stats("stripe", account.api_key)
    assert after.status_code == 200
    assert stats["faults"]["reset"] == 2
    assert stats["statuses"] == {"200": 1}


def test_redirect_points_to_another_host(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=1)
    emulator_accounts.state.faults.set_rules(
        "hubspot", portal.access_token, [FaultRule("redirect", first=2)]
    )
    before = len(emulator_accounts.state.faults.trap_hits())
    client = emulator_accounts.hubspot_client(portal)

    redirected = client.get("/crm/v3/objects/contacts")
    location = httpx.URL(redirected.headers["Location"])
    followed = client.get("/crm/v3/objects/contacts", follow_redirects=True)

    hits = emulator_accounts.state.faults.trap_hits()[before:]
    assert redirected.status_code == 307
    assert location.host != httpx.URL(emulator_accounts.url).host
    assert followed.json() == {"trap": True, "followed_redirect_to": "/crm/v3/objects/contacts"}
    assert [h.path for h in hits] == ["/crm/v3/objects/contacts"]


def test_rules_validate() -> None:
    with pytest.raises(ValueError, match="at most one"):
        FaultRule("rate_limit", every=2, first=1)
    with pytest.raises(ValueError, match="5xx"):
        FaultRule("server_error", status=404)
    with pytest.raises(ValueError, match="unknown"):
        FaultRule.from_json({"kind": "rate_limit", "sometimes": True})
