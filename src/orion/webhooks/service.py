"""Reading and replaying inbox events. Opens its own transactions only where a dispatch must
follow the commit (a workflow started before it would still see the old row)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from orion.platform.db import Database
from orion.platform.errors import Conflict, NotFound
from orion.platform.pagination import Page, decode_cursor, encode_cursor
from orion.webhooks import repository
from orion.webhooks.dispatch import dispatch
from orion.webhooks.inputs import process_workflow_id
from orion.webhooks.repository import EventFilters, StoredEvent
from orion.webhooks.schemas import ReplayAccepted, WebhookEventDetail, WebhookEventRead


@dataclass(frozen=True)
class Processing:
    """Where replayed events go: Temporal (``client`` may be None: the relay takes them)."""

    client: Client | None
    task_queue: str
    max_attempts: int


async def list_events(
    session: AsyncSession, filters: EventFilters, cursor: str | None, limit: int
) -> Page[WebhookEventRead]:
    before = decode_cursor(cursor) if cursor else None
    rows = await repository.list_events(session, filters, before, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].received_at, rows[-1].id)
    return Page(data=[WebhookEventRead.model_validate(r) for r in rows], next_cursor=next_cursor)


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> WebhookEventDetail:
    row = await repository.get_event(session, event_id)
    if row is None:
        raise NotFound(f"No webhook event with id {event_id}.")
    return WebhookEventDetail.model_validate(row)


async def _dispatch(
    database: Database, processing: Processing, events: list[StoredEvent]
) -> set[uuid.UUID]:
    if processing.client is None or not events:
        return set()
    started = await dispatch(
        database, processing.client, processing.task_queue, events, processing.max_attempts
    )
    return {event.id for event in started}


async def replay(
    database: Database, tenant_id: uuid.UUID, event_id: uuid.UUID, processing: Processing
) -> ReplayAccepted:
    """Reset a processed or dead event to ``received`` and dispatch it again."""
    async with database.tenant_transaction(tenant_id) as session:
        if await repository.get_event(session, event_id) is None:
            raise NotFound(f"No webhook event with id {event_id}.")
        stored = await repository.reset_for_replay(session, event_id)
    if stored is None:
        raise Conflict("The event is waiting to be processed already; it cannot be replayed now.")
    started = await _dispatch(database, processing, [stored])
    return ReplayAccepted(
        id=stored.id,
        status="dispatched" if started else "received",
        workflow_id=process_workflow_id(
            stored.provider, str(stored.connection_id), stored.event_id, stored.replays
        ),
    )


@dataclass
class ReplayReport:
    replayed: list[uuid.UUID] = field(default_factory=list)
    dispatched: int = 0
    pending: list[uuid.UUID] = field(default_factory=list)  # not processed or dead yet
    unknown: list[uuid.UUID] = field(default_factory=list)


async def replay_many(
    database: Database, event_ids: Sequence[uuid.UUID], processing: Processing
) -> ReplayReport:
    """Replay events of any tenant (the operator's ``orion webhooks replay``)."""
    report = ReplayReport()
    async with database.system_transaction() as session:
        owners = await repository.event_tenants(session, event_ids)
    known = {event_id for event_id, _ in owners}
    report.unknown = [event_id for event_id in event_ids if event_id not in known]
    by_tenant: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for event_id, tenant_id in owners:
        by_tenant[tenant_id].append(event_id)
    reset: list[StoredEvent] = []
    for tenant_id, ids in by_tenant.items():
        async with database.tenant_transaction(tenant_id) as session:
            for event_id in ids:
                stored = await repository.reset_for_replay(session, event_id)
                if stored is None:
                    report.pending.append(event_id)
                else:
                    reset.append(stored)
    report.replayed = [event.id for event in reset]
    report.dispatched = len(await _dispatch(database, processing, reset))
    return report


async def dead_event_ids(database: Database, limit: int) -> list[uuid.UUID]:
    async with database.system_transaction() as session:
        return [event_id for event_id, _ in await repository.dead_events(session, limit)]
