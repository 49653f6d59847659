"""``/api/v1/events``: tickets, tenant-scoped changes from the triggers, reconnection, drain.

Against a real server on a socket (an in-process ASGI client buffers whole responses, so it
cannot read a stream that never ends). ``asyncio.timeout`` bounds only keep a broken test from
hanging; nothing asserts how fast anything is.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx
from sqlalchemy import update

from orion.platform.db import Database
from orion.sync.models import sync_runs
from tests.fixtures.postgres import TestDatabase
from tests.web.server import ApiServer
from tests.web.sse import (
    SseEvent,
    eventually,
    new_tenant_with_connection,
    open_stream,
    start_run,
    ticket,
)

BOUND = 30  # seconds before a broken test gives up


async def test_a_ticket_needs_a_bearer_token(stream_server: ApiServer) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{stream_server.url}/api/v1/events/tickets")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_ticket_opens_one_stream_once(stream_server: ApiServer) -> None:
    tenant = uuid.uuid4()
    url = f"{stream_server.url}/api/v1/events/stream"
    async with httpx.AsyncClient(timeout=BOUND) as client:
        spent = await ticket(client, stream_server, tenant)
        async with client.stream("GET", url, params={"ticket": spent}) as first:
            assert first.status_code == 200
            assert first.headers["cache-control"] == "no-store"
        again = await client.get(url, params={"ticket": spent})
        unknown = await client.get(url, params={"ticket": "A" * 43})
        malformed = await client.get(url, params={"ticket": "not a ticket"})
        bearer = await client.get(url, params={"ticket": stream_server.token(tenant)})
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "unauthorized"
    assert unknown.status_code == 401
    assert malformed.status_code == 422
    assert "not a ticket" not in malformed.text  # the value is never echoed
    assert bearer.status_code == 422  # a token is not a ticket


async def test_an_expired_ticket_is_refused(
    stream_server: ApiServer, shared_database: TestDatabase
) -> None:
    async with httpx.AsyncClient(timeout=BOUND) as client:
        stale = await ticket(client, stream_server, uuid.uuid4())
        owner = await asyncpg.connect(shared_database.owner_url)
        try:
            await owner.execute(
                "UPDATE live_stream_tickets SET expires_at = now() - interval '1 second' "
                "WHERE ticket_hash = sha256($1::bytea)",
                stale.encode(),
            )
        finally:
            await owner.close()
        response = await client.get(
            f"{stream_server.url}/api/v1/events/stream", params={"ticket": stale}
        )
    assert response.status_code == 401


async def test_changes_reach_their_tenant_only_with_ids_and_no_data(
    stream_server: ApiServer, app_database: Database
) -> None:
    tenant_a, connection_a = await new_tenant_with_connection(app_database)
    tenant_b, connection_b = await new_tenant_with_connection(app_database)
    async with (
        httpx.AsyncClient(timeout=BOUND) as client,
        open_stream(client, stream_server, tenant_a) as stream_a,
        open_stream(client, stream_server, tenant_b) as stream_b,
        asyncio.timeout(BOUND),
    ):
        run_a = await start_run(app_database, tenant_a, connection_a)
        async with app_database.tenant_transaction(tenant_a) as session:
            await session.execute(
                update(sync_runs).where(sync_runs.c.id == run_a).values(pages=sync_runs.c.pages + 1)
            )
        run_b = await start_run(app_database, tenant_b, connection_b)

        inserted = await stream_a.next_named("change")
        updated = await stream_a.next_named("change")
        # Notifications arrive in commit order: A's would reach B before B's own.
        seen_by_b = await stream_b.next_named("change")
    assert inserted.data == {"kind": "sync_run", "op": "insert", "ids": [str(run_a)], "count": 1}
    assert updated.data == {"kind": "sync_run", "op": "update", "ids": [str(run_a)], "count": 1}
    assert seen_by_b.data["ids"] == [str(run_b)]


async def test_idle_streams_get_heartbeats(
    stream_server: ApiServer, app_database: Database
) -> None:
    assert stream_server.app is not None
    stream_server.app.state.live_hub.heartbeat_seconds = 0.2
    async with (
        httpx.AsyncClient(timeout=BOUND) as client,
        open_stream(client, stream_server, uuid.uuid4()) as stream,
        asyncio.timeout(BOUND),
    ):
        assert await stream.next() == SseEvent("comment")
        assert await stream.next() == SseEvent("comment")


async def test_listener_reconnects_after_losing_its_session_and_asks_for_a_resync(
    stream_server: ApiServer, app_database: Database, shared_database: TestDatabase
) -> None:
    tenant, connection = await new_tenant_with_connection(app_database)
    async with (
        httpx.AsyncClient(timeout=BOUND) as client,
        open_stream(client, stream_server, tenant) as stream,
        asyncio.timeout(BOUND),
    ):
        owner = await asyncpg.connect(shared_database.owner_url)
        try:
            killed = await owner.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'orion-live' AND datname = current_database()"
            )
        finally:
            await owner.close()
        assert killed == 1
        assert (await stream.next_named("resync", "change")).name == "resync"
        run = await start_run(app_database, tenant, connection)
        change = await stream.next_named("change")
    assert change.data["ids"] == [str(run)]
    hub = stream_server.app.state.live_hub if stream_server.app is not None else None
    assert hub is not None and hub.listener.connections == 2


async def test_a_draining_instance_closes_its_streams_and_refuses_new_ones(
    stream_server: ApiServer,
) -> None:
    tenant = uuid.uuid4()
    async with (
        httpx.AsyncClient(timeout=BOUND) as client,
        open_stream(client, stream_server, tenant) as stream,
        asyncio.timeout(BOUND),
    ):
        stream_server.drain.begin()
        bye = await stream.next_named("bye")
        assert bye.data == {"reason": "draining"}
        late = await client.get(
            f"{stream_server.url}/api/v1/events/stream",
            params={"ticket": await ticket(client, stream_server, tenant)},
        )
    assert late.status_code == 503


async def test_a_stream_ends_with_its_token_and_counts_as_fast(stream_server: ApiServer) -> None:
    """The latency metric of a stream is the time to open it, not its lifetime (which would
    push p95 past the rollback trigger of ``orion guard``)."""
    assert stream_server.app is not None
    registry = stream_server.app.state.metrics_registry
    labels = {"method": "GET", "route": "/api/v1/events/stream"}
    opened = time.monotonic()
    async with (
        httpx.AsyncClient(timeout=BOUND) as client,
        open_stream(client, stream_server, uuid.uuid4(), ttl_seconds=2) as stream,
        asyncio.timeout(BOUND),
    ):
        bye = await stream.next_named("bye")
    lifetime = time.monotonic() - opened
    assert bye.data == {"reason": "token expired"}
    # The middleware records the request after its last byte: wait for that.
    await eventually(
        lambda: registry.get_sample_value("http_request_duration_seconds_count", labels) == 1
    )
    observed = registry.get_sample_value("http_request_duration_seconds_sum", labels)
    assert observed < lifetime / 2
