"""Comparing what Orion stored with what the emulator holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from orion.emulator.stripe.account import StripeAccount
from orion.emulator.truth import content_hash
from tests.fixtures.stack import Stack


async def connect(stack: Stack, tenant: uuid.UUID, body: dict[str, Any]) -> str:
    response = await stack.api.post("/api/v1/connections", json=body, headers=stack.headers(tenant))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def sync_now(stack: Stack, tenant: uuid.UUID, connection_id: str) -> dict[str, Any]:
    """Start a sync and wait for ITS run (not an earlier one) to finish."""
    earlier = await stack.api.get(
        "/api/v1/sync-runs", params={"connection_id": connection_id}, headers=stack.headers(tenant)
    )
    seen = {run["id"] for run in earlier.json()["data"]}
    started = await stack.api.post(
        f"/api/v1/connections/{connection_id}/sync", headers=stack.headers(tenant)
    )
    assert started.status_code == 202, started.text
    return await stack.wait_for_run(
        tenant,
        connection_id,
        done=lambda run: run["id"] not in seen and run["status"] != "running",
        within=300,
    )


async def assert_matches_stripe(
    stack: Stack, tenant: uuid.UUID, connection_id: str, account: StripeAccount
) -> None:
    truth = account.truth()
    for kind, plural in (("customer", "customers"), ("invoice", "invoices")):
        stored = await stack.records(tenant, connection_id, kind)
        expected = {entry.id: entry for entry in truth[plural]}
        assert set(stored) == set(expected), f"{kind}: ids differ"
        for external_id, entry in expected.items():
            row = stored[external_id]
            assert (row.deleted_at is not None) == entry.deleted, external_id
            if not entry.deleted:
                assert content_hash(row.raw) == entry.hash, f"{kind} {external_id} is stale"


async def assert_matches_hubspot(
    stack: Stack, tenant: uuid.UUID, connection_id: str, truth: dict[str, list[dict[str, Any]]]
) -> None:
    for kind, name in (("customer", "contacts"), ("invoice", "invoices")):
        stored = await stack.records(tenant, connection_id, kind)
        expected = {entry["id"]: entry for entry in truth[name]}
        assert set(stored) == set(expected), f"{kind}: ids differ"
        for external_id, entry in expected.items():
            row = stored[external_id]
            assert (row.deleted_at is not None) == entry["archived"], external_id
            if not entry["archived"]:
                modified = datetime.fromtimestamp(entry["updated_at"] / 1000, UTC)
                assert row.source_updated_at == modified, f"{kind} {external_id} is stale"
