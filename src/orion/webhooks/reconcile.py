"""Find Stripe events whose webhooks never arrived, and put them through the inbox.

Stripe lists an account's events (``GET /v1/events``, 30 days back). Reconciling stores every
customer and invoice event created since a time through the same insert-or-ignore as the
receivers, so events already in the inbox are only counted, and dispatches the new ones.
HubSpot has no API listing past webhook events: the remedy there is a sync.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import stripe
from sqlalchemy import text
from stripe.params import EventListParams

from orion.connections.repository import get_connection
from orion.connectors.errors import Permanent
from orion.connectors.stripe.transport import HttpxTransport, classify
from orion.platform.config import Settings
from orion.platform.crypto import Vault
from orion.platform.db import Database
from orion.webhooks.events import MalformedPayload, parse_stripe
from orion.webhooks.inbox import kept_headers
from orion.webhooks.repository import InboxRow, StoredEvent, driver_connection, insert_events

EVENT_TYPES = ("customer.*", "invoice.*")
PAGE_SIZE = 100
CHUNK = 500
_CONNECTION_TENANT = text("SELECT orion_connection_tenant(:id)")


class NoEventsApi(Exception):
    """The provider offers no way to list past webhook events."""


class UnknownConnection(Exception):
    """No connection has this id."""


@dataclass
class ReconcileReport:
    found: int = 0
    already_present: int = 0
    added: int = 0
    skipped: int = 0  # listed but unreadable (counted, never stored)
    new_events: list[StoredEvent] = field(default_factory=list)


async def _connection(database: Database, connection_id: uuid.UUID) -> tuple[uuid.UUID, Any]:
    async with database.system_transaction() as session:
        tenant = await session.scalar(_CONNECTION_TENANT, {"id": connection_id})
    if tenant is None:
        raise UnknownConnection(f"no connection with id {connection_id}")
    async with database.tenant_transaction(tenant) as session:
        row = await get_connection(session, connection_id, with_secrets=True)
    if row is None:
        raise UnknownConnection(f"no connection with id {connection_id}")
    return tenant, row


async def _list_events(
    client: stripe.StripeClient, secret: str, event_type: str, since: int
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    params: EventListParams = {"type": event_type, "created": {"gte": since}, "limit": PAGE_SIZE}
    while True:
        try:
            page = await client.v1.events.list_async(params)
        except stripe.StripeError as exc:
            raise classify(exc, secret, datetime.now(UTC)) from None
        response = page.last_response
        if response is None:
            raise Permanent("Stripe's event list had no body.")
        body = orjson.loads(response.body)
        items = [item for item in body.get("data", []) if isinstance(item, dict)]
        events.extend(items)
        if not body.get("has_more") or not items:
            return events
        params["starting_after"] = str(items[-1]["id"])


async def reconcile_stripe(
    database: Database,
    vault: Vault,
    settings: Settings,
    http: httpx.AsyncClient,
    connection_id: uuid.UUID,
    since: datetime,
) -> ReconcileReport:
    """Store the events created since ``since`` that the inbox lacks (not dispatched yet)."""
    tenant, connection = await _connection(database, connection_id)
    if connection.provider != "stripe":
        raise NoEventsApi(
            f"{connection.provider} has no API that lists past webhook events; run a sync of "
            f"the connection instead (POST /api/v1/connections/{connection_id}/sync)."
        )
    secret = vault.open(connection.credentials).decode()
    timeout = httpx.Timeout(30.0, connect=10.0)
    client = stripe.StripeClient(
        secret,
        base_addresses={"api": settings.stripe.api_base.rstrip("/")},
        http_client=HttpxTransport(http, timeout),
        max_network_retries=2,
    )
    report = ReconcileReport()
    rows: list[InboxRow] = []
    headers = kept_headers({}, source="reconcile")
    for event_type in EVENT_TYPES:
        for event in await _list_events(client, secret, event_type, int(since.timestamp())):
            report.found += 1
            body = orjson.dumps(event)
            try:
                parsed = parse_stripe(body)
            except MalformedPayload:
                report.skipped += 1
                continue
            rows.append(InboxRow(tenant, connection_id, "stripe", parsed, body, headers))
    for start in range(0, len(rows), CHUNK):
        async with driver_connection(database) as driver:
            stored = await insert_events(driver, rows[start : start + CHUNK])
        report.new_events.extend(stored)
    report.added = len(report.new_events)
    report.already_present = report.found - report.skipped - report.added
    return report
