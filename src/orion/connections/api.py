"""``/api/v1/connections``: connect, inspect, pause, re-authorise and remove provider accounts."""

from __future__ import annotations

import uuid
from typing import Annotated

import structlog
from fastapi import APIRouter, Body, Request, Response, status

from orion.connections import service
from orion.connections.providers import ConnectorFactory
from orion.connections.repository import list_connections
from orion.connections.schedules import SyncSchedules
from orion.connections.schemas import ConnectionCreate, ConnectionRead, ConnectionUpdate
from orion.platform.dependencies import CurrentPrincipal, ResourcesDep, TenantSession

router = APIRouter(prefix="/api/v1/connections", tags=["connections"])
_log = structlog.get_logger("orion.connections")


def _schedules(request: Request) -> SyncSchedules | None:
    schedules: SyncSchedules | None = getattr(request.app.state, "sync_schedules", None)
    return schedules


async def _sync_schedule(
    request: Request, connection: ConnectionRead, tenant_id: uuid.UUID
) -> None:
    """Best effort: the worker's reconciler repairs schedules Temporal could not take now."""
    schedules = _schedules(request)
    if schedules is None:
        return
    try:
        await schedules.ensure(
            tenant_id,
            connection.id,
            connection.sync_interval_seconds,
            paused=connection.status != "active",
        )
    except Exception as exc:  # Temporal down must not lose the user's connection
        _log.warning(
            "schedule_deferred", connection_id=str(connection.id), error=type(exc).__name__
        )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Connect a Stripe or HubSpot account",
    responses={
        409: {"description": "The account is already connected."},
        422: {"description": "The provider rejected the credential (its reason is given)."},
        502: {"description": "The provider could not be reached."},
    },
)
async def create_connection(
    request: Request,
    session: TenantSession,
    principal: CurrentPrincipal,
    resources: ResourcesDep,
    body: Annotated[ConnectionCreate, Body()],
) -> ConnectionRead:
    created = await service.create(
        session,
        principal.tenant_id,
        body,
        vault=resources.vault,
        connectors=ConnectorFactory(resources.settings, resources.http),
        actor=principal.subject,
    )
    await _sync_schedule(request, created, principal.tenant_id)
    return created


@router.get("", summary="List connections")
async def connections(session: TenantSession) -> list[ConnectionRead]:
    return [service.to_read(row) for row in await list_connections(session)]


@router.get("/{connection_id}", summary="One connection")
async def connection(session: TenantSession, connection_id: uuid.UUID) -> ConnectionRead:
    return await service.get(session, connection_id)


@router.patch("/{connection_id}", summary="Pause, resume, re-authorise or reschedule")
async def update_connection(
    request: Request,
    session: TenantSession,
    principal: CurrentPrincipal,
    resources: ResourcesDep,
    connection_id: uuid.UUID,
    body: ConnectionUpdate,
) -> ConnectionRead:
    updated = await service.update(
        session,
        principal.tenant_id,
        connection_id,
        body,
        vault=resources.vault,
        connectors=ConnectorFactory(resources.settings, resources.http),
        actor=principal.subject,
    )
    await _sync_schedule(request, updated, principal.tenant_id)
    return updated


@router.delete(
    "/{connection_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a connection, its schedule and its records",
)
async def delete_connection(
    request: Request, session: TenantSession, principal: CurrentPrincipal, connection_id: uuid.UUID
) -> Response:
    await service.delete(session, principal.tenant_id, connection_id, actor=principal.subject)
    schedules = _schedules(request)
    if schedules is not None:
        try:
            await schedules.remove(connection_id)
        except Exception as exc:  # the reconciler deletes schedules of vanished connections
            _log.warning(
                "schedule_removal_deferred",
                connection_id=str(connection_id),
                error=type(exc).__name__,
            )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
