"""Webhook receivers (signed, no sign-in) and ``/api/v1/webhook-events`` (signed-in tenants).

The receivers read the raw body themselves (the signature covers the exact bytes) and answer
with ``Response`` objects built by hand: they are the hottest routes of the API.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated

import orjson
from fastapi import APIRouter, FastAPI, Query, Request, status
from starlette.responses import Response

from orion.platform.db import Database, create_engine
from orion.platform.dependencies import CurrentPrincipal, DatabaseDep, ResourcesDep, TenantSession
from orion.platform.errors import ServiceUnavailable
from orion.platform.fast_lane import FastRoute
from orion.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from orion.platform.resources import Resources, pool_options
from orion.webhooks import service
from orion.webhooks.directory import ConnectionDirectory
from orion.webhooks.dispatch import Dispatcher
from orion.webhooks.inbox import WebhookInbox
from orion.webhooks.metrics import WebhookMetrics
from orion.webhooks.repository import EventFilters
from orion.webhooks.schemas import ReplayAccepted, WebhookEventDetail, WebhookEventRead
from orion.webhooks.signatures import public_uri

router = APIRouter(tags=["webhooks"])


def build_inbox(resources: Resources, metrics: WebhookMetrics) -> WebhookInbox:
    if resources.database is None:
        raise ServiceUnavailable("The database is not configured.")
    settings = resources.settings
    hooks = settings.webhooks
    dispatcher = Dispatcher(
        resources.database,
        resources.temporal,
        settings.temporal.task_queue,
        max_attempts=hooks.max_attempts,
    )
    directory = ConnectionDirectory(resources.database, resources.vault, ttl=hooks.cache_seconds)
    # The writer's own small pool: deliveries never wait behind API reads for a connection,
    # and no ping per batch (a failed batch is answered 503 and its connection invalidated).
    url = resources.database.engine.url.render_as_string(hide_password=False)
    options = replace(
        pool_options(settings, "orion-inbox"), size=hooks.writers, max_overflow=1, pre_ping=False
    )
    writer = Database(create_engine(url, options))
    return WebhookInbox(settings, resources.database, directory, dispatcher, metrics, writer)


def inbox_of(app: FastAPI) -> WebhookInbox:
    """The app's inbox, built on first use (its tasks start with the first delivery)."""
    inbox: WebhookInbox | None = getattr(app.state, "webhook_inbox", None)
    if inbox is None:
        resources: Resources | None = getattr(app.state, "resources", None)
        if resources is None:
            raise ServiceUnavailable("The API is starting; retry.")
        inbox = build_inbox(resources, app.state.webhook_metrics)
        app.state.webhook_inbox = inbox
    return inbox


async def close_inbox(app: FastAPI) -> None:
    """Lifespan shutdown: stop the writer and the dispatcher if they ever started."""
    inbox: WebhookInbox | None = getattr(app.state, "webhook_inbox", None)
    if inbox is not None:
        app.state.webhook_inbox = None
        await inbox.close()


def _json(body: object, status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def _raw_path(request: Request) -> str:
    """The path exactly as sent (still percent-encoded); some servers append the query."""
    raw = request.scope.get("raw_path")
    if not raw:
        return request.url.path
    return bytes(raw).split(b"?", 1)[0].decode("latin-1")


def _headers(request: Request) -> dict[str, str]:
    """The request headers as a plain dict (ASGI names are lower case): O(1) lookups."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in request.scope["headers"]}


async def stripe_webhook(request: Request) -> Response:
    """``POST /api/v1/webhooks/stripe/{connection_id}``: one Stripe event, signed."""
    body = await request.body()
    connection_id = request.path_params["connection_id"]
    result = await inbox_of(request.app).receive_stripe(connection_id, body, _headers(request))
    return _json(result)


async def hubspot_webhook(request: Request) -> Response:
    """``POST /api/v1/webhooks/hubspot``: a batch of HubSpot events, signed (v3)."""
    body = await request.body()
    settings = request.app.state.settings
    base = settings.webhooks.public_base_url or (
        f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    )
    query = request.scope.get("query_string", b"").decode("latin-1")
    uri = public_uri(base, _raw_path(request), query)
    result = await inbox_of(request.app).receive_hubspot(
        request.method, uri, body, _headers(request)
    )
    return _json(result)


# The receivers are the hottest routes of the API: the app serves them through its fast lane
# (platform/fast_lane.py), plain functions of a Starlette ``Request`` with no FastAPI parameter
# machinery. They answer 200, 400, 401, 404 (unknown Stripe connection) and 503 (not stored:
# retry). Registered with the router as well, so other methods on their paths get a 405.
RECEIVERS = (
    FastRoute("POST", "/api/v1/webhooks/stripe/{connection_id}", stripe_webhook),
    FastRoute("POST", "/api/v1/webhooks/hubspot", hubspot_webhook),
)
for _receiver in RECEIVERS:
    router.add_route(_receiver.path, _receiver.endpoint, methods=[_receiver.method])


@router.get("/api/v1/webhook-events", summary="Inbox events, newest first (no bodies)")
async def webhook_events(
    session: TenantSession,
    status_filter: Annotated[
        str | None,
        Query(alias="status", pattern="^(received|dispatched|processed|dead)$"),
    ] = None,
    provider: Annotated[str | None, Query(pattern="^(stripe|hubspot)$")] = None,
    connection_id: Annotated[uuid.UUID | None, Query()] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
) -> Page[WebhookEventRead]:
    filters = EventFilters(status_filter, provider, connection_id)
    return await service.list_events(session, filters, cursor, limit)


@router.get("/api/v1/webhook-events/{event_id}", summary="One event with its payload")
async def webhook_event(session: TenantSession, event_id: uuid.UUID) -> WebhookEventDetail:
    return await service.get_event(session, event_id)


@router.post(
    "/api/v1/webhook-events/{event_id}/replay",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Process a processed or dead event again",
    responses={409: {"description": "The event is waiting to be processed already."}},
)
async def replay_webhook_event(
    principal: CurrentPrincipal,
    database: DatabaseDep,
    resources: ResourcesDep,
    event_id: uuid.UUID,
) -> ReplayAccepted:
    settings = resources.settings
    processing = service.Processing(
        resources.temporal, settings.temporal.task_queue, settings.webhooks.max_attempts
    )
    return await service.replay(database, principal.tenant_id, event_id, processing)
