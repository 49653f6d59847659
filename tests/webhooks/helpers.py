"""Webhook test helpers: connections inserted as their tenant, signed deliveries, waits."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from sqlalchemy import func, insert, select
from temporalio.client import Client

from orion.connections.models import connections
from orion.emulator.churn import ChurnSpec
from orion.emulator.stripe.account import StripeAccount
from orion.emulator.stripe.render import render_event
from orion.emulator.webhooks import hubspot_signature_v3, stripe_signature_header
from orion.platform.crypto import Vault
from orion.platform.db import Database
from orion.tenants.repository import create_tenant
from orion.webhooks.models import webhook_events
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack

HUBSPOT_SECRET = "test-hubspot-app-client-secret"
HUBSPOT_PATH = "/api/v1/webhooks/hubspot"
BASE = "http://testserver"


async def new_tenant(database: Database) -> uuid.UUID:
    tenant = uuid.uuid4()
    async with database.tenant_transaction(tenant) as session:
        await create_tenant(session, tenant, f"webhooks {tenant.hex[:6]}")
    return tenant


async def add_connection(
    database: Database,
    vault: Vault,
    tenant: uuid.UUID,
    *,
    provider: str,
    account: str,
    credential: str,
    webhook_secrets: Sequence[str] = (),
    status: str = "active",
) -> uuid.UUID:
    """A connection row without a sync schedule (no sync runs under the test's feet).

    A worker process's schedule reconciler would create one; ``status="paused"`` keeps it
    paused (webhooks are processed whatever the status).
    """
    sealed = vault.seal(credential.encode())
    values: dict[str, Any] = {
        "tenant_id": tenant,
        "provider": provider,
        "external_account_id": account,
        "credentials": sealed.token,
        "credentials_key_id": sealed.key_id,
        "status": status,
    }
    if webhook_secrets:
        hooks = vault.seal(json.dumps(list(webhook_secrets)).encode())
        values.update(webhook_secrets=hooks.token, webhook_secrets_key_id=hooks.key_id)
    async with database.tenant_transaction(tenant) as session:
        connection_id = await session.scalar(
            insert(connections).values(**values).returning(connections.c.id)
        )
    assert connection_id is not None
    return connection_id


async def stripe_connection(
    stack: Stack, account: StripeAccount, *, status: str = "active"
) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = await new_tenant(stack.database)
    connection = await add_connection(
        stack.database,
        stack.resources.vault,
        tenant,
        provider="stripe",
        account=account.id,
        credential=account.api_key,
        webhook_secrets=[account.webhook_secret],
        status=status,
    )
    return tenant, connection


def stripe_delivery(
    event: dict[str, Any], secret: str, *, at: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event, indent=2)
    signed_at = int(time.time()) if at is None else at
    header = stripe_signature_header(body, secret, signed_at)
    return body.encode(), {"Stripe-Signature": header, "Content-Type": "application/json"}


def rendered(account: StripeAccount, event_ids: Sequence[str]) -> list[dict[str, Any]]:
    return [render_event(event, account.info) for event in account.events_by_id(list(event_ids))]


def updated_customer_event(accounts: EmulatorAccounts, account: StripeAccount) -> dict[str, Any]:
    """One customer of ``account`` changes: its ``customer.updated`` event as Stripe sends it."""
    churn = accounts.state.churn_stripe(account.api_key, customers=ChurnSpec(update=1))
    (event,) = rendered(account, [e.id for e in churn.events])
    return event


def metric(stack: Stack, name: str, **labels: str) -> float:
    registry: CollectorRegistry = stack.app.state.metrics_registry
    return registry.get_sample_value(name, labels) or 0.0


async def post_stripe(
    api: httpx.AsyncClient, connection: uuid.UUID, event: dict[str, Any], secret: str
) -> httpx.Response:
    body, headers = stripe_delivery(event, secret)
    return await api.post(f"/api/v1/webhooks/stripe/{connection}", content=body, headers=headers)


def hubspot_delivery(
    events: Sequence[dict[str, Any]], *, uri: str = BASE + HUBSPOT_PATH, at_ms: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(list(events), separators=(",", ":"))
    stamp = int(time.time() * 1000) if at_ms is None else at_ms
    headers = {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": hubspot_signature_v3(HUBSPOT_SECRET, "POST", uri, body, stamp),
        "X-HubSpot-Request-Timestamp": str(stamp),
    }
    return body.encode(), headers


async def post_hubspot(api: httpx.AsyncClient, events: Sequence[dict[str, Any]]) -> httpx.Response:
    body, headers = hubspot_delivery(events)
    return await api.post(HUBSPOT_PATH, content=body, headers=headers)


async def inbox_rows(database: Database, tenant: uuid.UUID, connection: uuid.UUID) -> list[Any]:
    async with database.tenant_transaction(tenant) as session:
        result = await session.execute(
            select(webhook_events).where(webhook_events.c.connection_id == connection)
        )
        return list(result.all())


async def count_rows(database: Database, tenant: uuid.UUID, connection: uuid.UUID) -> int:
    async with database.tenant_transaction(tenant) as session:
        count = await session.scalar(
            select(func.count()).where(webhook_events.c.connection_id == connection)
        )
    return int(count or 0)


async def wait_until_settled(
    database: Database,
    tenant: uuid.UUID,
    connection: uuid.UUID,
    expected: int,
    *,
    within: float = 60.0,
    final: Sequence[str] = ("processed",),
) -> list[Any]:
    """Poll until ``expected`` events exist and all are in a ``final`` state.

    A wait for the system to finish, not a timed assertion: ``within`` only stops a broken
    test from hanging.
    """
    deadline = time.monotonic() + within
    while True:
        rows = await inbox_rows(database, tenant, connection)
        if len(rows) >= expected and all(row.status in final for row in rows):
            return rows
        if time.monotonic() > deadline:
            states = sorted(row.status for row in rows)
            raise AssertionError(f"{len(rows)}/{expected} events, states {states[:20]}")
        await asyncio.sleep(0.2)


async def executions(client: Client, workflow_id: str) -> int:
    """How many workflow executions Temporal has under this id (all runs, all states)."""
    return len([w async for w in client.list_workflows(f'WorkflowId = "{workflow_id}"')])


@asynccontextmanager
async def lifespan(stack: Stack) -> Any:
    """Run the app's lifespan (the ASGI test client does not), so shutdown drains the inbox."""
    async with stack.app.router.lifespan_context(stack.app):
        yield stack
