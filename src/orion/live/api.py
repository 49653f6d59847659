"""``POST /api/v1/events/tickets`` and ``GET /api/v1/events/stream`` (server-sent events).

A signed-in client asks for a one-time ticket with its bearer token, then opens
``EventSource("/api/v1/events/stream?ticket=...")``. The stream says *what kind* of thing
changed for the caller's tenant (ids only); the client re-reads it through the normal API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, FastAPI, Query, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from orion.live.hub import LiveHub
from orion.live.listener import ChangeListener, listen_dsn
from orion.live.sse import event_stream
from orion.live.tickets import TICKET_PATTERN, TICKET_TTL_SECONDS, issue_ticket, redeem_ticket
from orion.platform.auth import AuthError
from orion.platform.config import Settings
from orion.platform.dependencies import CurrentPrincipal, DatabaseDep, TenantSession
from orion.platform.errors import ServiceUnavailable
from orion.platform.shutdown import DrainState

router = APIRouter(prefix="/api/v1/events", tags=["live"])
STREAM_PATH = "/api/v1/events/stream"
STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


class StreamTicket(BaseModel):
    ticket: str = Field(description="Pass once as `?ticket=` to the stream; then it is spent.")
    expires_in: int = Field(description="Seconds the ticket stays redeemable.")
    stream_url: str


def build_hub(settings: Settings, drain: DrainState) -> LiveHub | None:
    """The process's hub (its listener connects with the first stream), if there is a DB."""
    dsn = listen_dsn(settings)
    if dsn is None:
        return None
    return LiveHub(lambda change, resync: ChangeListener(dsn, change, resync), drain)


async def close_hub(app: FastAPI) -> None:
    hub: LiveHub | None = getattr(app.state, "live_hub", None)
    if hub is not None:
        await hub.close()


def live_hub(request: Request) -> LiveHub:
    hub: LiveHub | None = getattr(request.app.state, "live_hub", None)
    if hub is None:
        raise ServiceUnavailable("Live updates are not available: no database is configured.")
    if not hub.accepting:
        raise ServiceUnavailable("This instance is shutting down; reconnect.")
    return hub


@router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    summary="A one-time ticket that opens the event stream",
)
async def create_ticket(session: TenantSession, principal: CurrentPrincipal) -> StreamTicket:
    ticket = await issue_ticket(session, principal)
    return StreamTicket(
        ticket=ticket,
        expires_in=TICKET_TTL_SECONDS,
        stream_url=f"{STREAM_PATH}?ticket={ticket}",
    )


@router.get(
    "/stream",
    summary="Changes of the caller's tenant as server-sent events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "ready, change, resync, bye"},
        401: {"description": "The ticket is unknown, used or expired."},
    },
)
async def stream(
    request: Request,
    database: DatabaseDep,
    ticket: Annotated[str, Query(pattern=TICKET_PATTERN, description="From POST /tickets.")],
) -> StreamingResponse:
    hub = live_hub(request)
    grant = await redeem_ticket(database, ticket)
    if grant is None:
        raise AuthError("The stream ticket is unknown, used or expired; ask for a new one.")
    body = event_stream(hub, grant.tenant_id, grant.session_expires_at)
    return StreamingResponse(body, media_type="text/event-stream", headers=STREAM_HEADERS)
