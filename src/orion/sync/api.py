"""``POST /api/v1/connections/{id}/sync`` and ``/api/v1/sync-runs``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from orion.connections.repository import get_connection
from orion.platform.dependencies import CurrentPrincipal, DatabaseDep, TenantSession
from orion.platform.errors import Conflict, NotFound, ServiceUnavailable, Unprocessable
from orion.platform.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    decode_cursor,
    encode_cursor,
)
from orion.sync import runs
from orion.sync.inputs import sync_workflow_id
from orion.sync.schedules import SyncAlreadyRunning, TemporalSyncSchedules
from orion.sync.schemas import SyncRunRead, SyncStarted

router = APIRouter(prefix="/api/v1", tags=["sync"])


@router.post(
    "/connections/{connection_id}/sync",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a sync of this connection now",
    responses={409: {"description": "A sync of this connection is already running."}},
)
async def sync_now(
    request: Request, principal: CurrentPrincipal, database: DatabaseDep, connection_id: uuid.UUID
) -> SyncStarted:
    async with database.tenant_transaction(principal.tenant_id) as session:
        connection = await get_connection(session, connection_id)
    if connection is None:
        raise NotFound(f"No connection with id {connection_id}.")
    if connection.status != "active":
        raise Unprocessable(f"The connection is {connection.status}; it cannot sync now.")
    schedules: TemporalSyncSchedules | None = getattr(request.app.state, "sync_schedules", None)
    if schedules is None:
        raise ServiceUnavailable("Syncs are not available: Temporal is not configured.")
    try:
        await schedules.start_now(principal.tenant_id, connection_id)
    except SyncAlreadyRunning:
        raise Conflict("A sync of this connection is already running.") from None
    return SyncStarted(workflow_id=sync_workflow_id(str(connection_id)))


@router.get("/sync-runs", summary="Sync runs, newest first")
async def sync_runs(
    session: TenantSession,
    connection_id: Annotated[uuid.UUID | None, Query()] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> Page[SyncRunRead]:
    before = decode_cursor(cursor) if cursor else None
    rows = await runs.list_runs(
        session, connection_id=connection_id, before=before, limit=limit + 1
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1].started_at, rows[-1].id)
    return Page(data=[SyncRunRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/sync-runs/{run_id}", summary="One sync run")
async def sync_run(session: TenantSession, run_id: uuid.UUID) -> SyncRunRead:
    row = await runs.get_run(session, run_id)
    if row is None:
        raise NotFound(f"No sync run with id {run_id}.")
    return SyncRunRead.model_validate(row)
