"""A disabled rate limit sends no headers: `Max: 0` / `Remaining: 0` would read as used up."""

from __future__ import annotations

import pytest

from orion.emulator.hubspot.ratelimit import RateLimits
from tests.fixtures.emulator import EmulatorAccounts

BURST = {
    "x-hubspot-ratelimit-max",
    "x-hubspot-ratelimit-remaining",
    "x-hubspot-ratelimit-interval-milliseconds",
}
DAILY = {"x-hubspot-ratelimit-daily", "x-hubspot-ratelimit-daily-remaining"}


def _limit_headers(emulator_accounts: EmulatorAccounts, limits: RateLimits) -> dict[str, str]:
    portal = emulator_accounts.hubspot(contacts=1, rate_limits=limits)
    client = emulator_accounts.hubspot_client(portal)
    responses = [
        client.get("/crm/v3/objects/contacts"),
        client.post("/crm/v3/objects/contacts/search", json={}),
        client.get("/crm/v3/objects/contacts/404"),
    ]
    seen = [
        {k: v for k, v in r.headers.items() if k.startswith("x-hubspot-ratelimit")}
        for r in responses
    ]
    assert all(headers.keys() == seen[0].keys() for headers in seen)
    return seen[-1]


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (RateLimits(), BURST | DAILY),
        (RateLimits(burst_max=0), DAILY),
        (RateLimits(daily_max=0), BURST),
        (RateLimits(burst_max=0, daily_max=0, search_max=0), set()),
    ],
)
def test_only_enabled_limits_send_headers(
    emulator_accounts: EmulatorAccounts, limits: RateLimits, expected: set[str]
) -> None:
    headers = _limit_headers(emulator_accounts, limits)

    assert set(headers) == expected
    assert all(int(value) > 0 for value in headers.values())


def test_limits_disabled_with_null_through_the_admin_api(
    emulator_accounts: EmulatorAccounts,
) -> None:
    admin = emulator_accounts.admin_client()
    token = admin.post("/hubspot/portals", json={"contacts": 1}).json()["access_token"]
    emulator_accounts.adopt(hubspot_token=token)

    configured = admin.put(
        f"/hubspot/portals/{token}/rate-limits", json={"burst_max": None, "daily_max": 0}
    )
    portal = emulator_accounts.state.hubspot_portal(token)
    assert portal is not None
    answer = emulator_accounts.hubspot_client(portal).get("/crm/v3/objects/contacts")

    assert configured.json()["burst_max"] == 0
    assert answer.status_code == 200
    assert not any(k.startswith("x-hubspot-ratelimit") for k in answer.headers)
