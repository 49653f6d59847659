"""The outbox relay (in the worker): dispatch events the API stored but could not hand over.

Every ``interval`` it asks ``orion_undispatched_webhook_events`` (a SECURITY DEFINER door
through RLS that returns only ids and tenants) for events still ``received`` after ``delay``
seconds, then per tenant locks those rows ``FOR UPDATE SKIP LOCKED``, starts their workflows
and marks them ``dispatched`` in that same transaction. Several workers can relay at once:
a row locked by one is skipped by the others, and a start that races anyone else's is
refused by Temporal (the workflow id is derived from the event).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import timedelta

import structlog
from temporalio.client import Client

from orion.platform.db import Database
from orion.platform.resources import Resources
from orion.webhooks.dispatch import start_many
from orion.webhooks.repository import lock_received, mark_dispatched, undispatched

_log = structlog.get_logger("orion.webhooks.relay")
BATCH = 200


async def relay_once(
    database: Database, client: Client, task_queue: str, *, delay: float, max_attempts: int
) -> int:
    """One pass; returns how many events it dispatched."""
    async with database.system_transaction() as session:
        found = await undispatched(session, timedelta(seconds=delay), BATCH)
    tenants: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for event_id, tenant_id in found:
        tenants[tenant_id].append(event_id)
    dispatched = 0
    for tenant_id, ids in tenants.items():
        async with database.tenant_transaction(tenant_id) as session:
            events = await lock_received(session, ids)
            started = await start_many(client, task_queue, events, max_attempts)
            if started:
                await mark_dispatched(session, started)
        dispatched += len(started)
        if len(started) < len(events):
            break  # Temporal is failing; try again next pass
    if dispatched:
        _log.info("webhook_relay_dispatched", events=dispatched)
    return dispatched


async def run_relay(
    database: Database,
    client: Client,
    task_queue: str,
    stop: asyncio.Event,
    *,
    interval: float,
    delay: float,
    max_attempts: int,
) -> None:
    """Relay until ``stop`` is set; a failed pass is logged and retried next interval."""
    while not stop.is_set():
        count = 0
        try:
            count = await relay_once(
                database, client, task_queue, delay=delay, max_attempts=max_attempts
            )
        except Exception as exc:
            _log.warning("webhook_relay_failed", error=type(exc).__name__)
        if count >= BATCH:
            continue  # a backlog: keep going
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            continue


async def relay_for(resources: Resources, client: Client, stop: asyncio.Event) -> None:
    """The worker's relay, configured from the process's settings."""
    if resources.database is None:
        return
    settings = resources.settings
    await run_relay(
        resources.database,
        client,
        settings.temporal.task_queue,
        stop,
        interval=settings.webhooks.relay_interval_seconds,
        delay=settings.webhooks.relay_delay_seconds,
        max_attempts=settings.webhooks.max_attempts,
    )
