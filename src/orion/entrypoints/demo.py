"""``orion up --demo``: a demo tenant connected to the emulator, synced once, through the API.

Everything goes through the public HTTP API with a development token, exactly as a user
would do it, so the demo also proves the platform works end to end.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import httpx

from orion.emulator.state import (
    DEMO_HUBSPOT_ACCESS_TOKEN,
    DEMO_STRIPE_API_KEY,
    DEMO_STRIPE_WEBHOOK_SECRET,
)

#: The tenant `orion up` mints its development token for (stable across restarts).
DEVELOPMENT_TENANT = uuid.UUID("0d3e0000-0000-4000-8000-000000000001")
DEMO_CONNECTIONS = (
    {
        "provider": "stripe",
        "api_key": DEMO_STRIPE_API_KEY,
        "webhook_secrets": [DEMO_STRIPE_WEBHOOK_SECRET],
        "display_name": "Demo Stripe",
    },
    {
        "provider": "hubspot",
        "access_token": DEMO_HUBSPOT_ACCESS_TOKEN,
        "display_name": "Demo HubSpot",
    },
)


@dataclass
class DemoResult:
    connections: dict[str, str]  # provider -> connection id
    customers: int
    invoices: int


def _connection_ids(api: httpx.Client) -> dict[str, str]:
    listed = api.get("/api/v1/connections")
    listed.raise_for_status()
    return {c["provider"]: c["id"] for c in listed.json()}


def connect_demo_accounts(api: httpx.Client) -> dict[str, str]:
    """Create the two demo connections (a second `orion up --demo` finds them in place)."""
    for body in DEMO_CONNECTIONS:
        response = api.post("/api/v1/connections", json=body)
        if response.status_code not in (201, 409):
            raise RuntimeError(f"connecting {body['provider']} failed: {response.text}")
    return _connection_ids(api)


def sync_and_wait(api: httpx.Client, connections: dict[str, str], timeout: float = 120) -> None:
    latest = {}
    for connection_id in connections.values():
        runs = api.get("/api/v1/sync-runs", params={"connection_id": connection_id}).json()
        latest[connection_id] = {run["id"] for run in runs["data"]}
        started = api.post(f"/api/v1/connections/{connection_id}/sync")
        if started.status_code not in (202, 409):  # 409: a scheduled sync is already running
            raise RuntimeError(f"starting a sync failed: {started.text}")
    deadline = time.monotonic() + timeout
    for connection_id in connections.values():
        while True:
            runs = api.get(
                "/api/v1/sync-runs", params={"connection_id": connection_id, "limit": 1}
            ).json()["data"]
            if (
                runs
                and runs[0]["id"] not in latest[connection_id]
                and runs[0]["status"] != "running"
            ):
                if runs[0]["status"] != "completed":
                    raise RuntimeError(
                        f"the first sync ended {runs[0]['status']}: {runs[0]['error']}"
                    )
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the first sync did not finish in time")
            time.sleep(0.3)


def count(api: httpx.Client, path: str) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = api.get(path, params=params).json()
        total += len(page["data"])
        cursor = page["next_cursor"]
        if not cursor:
            return total


def run_demo(base_url: str, token: str) -> DemoResult:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
        connections = connect_demo_accounts(api)
        sync_and_wait(api, connections)
        return DemoResult(
            connections, count(api, "/api/v1/customers"), count(api, "/api/v1/invoices")
        )
