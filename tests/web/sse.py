"""Reading a text/event-stream in tests, and the rows whose changes it reports."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import insert

from orion.connections.models import connections
from orion.platform.db import Database
from orion.sync.runs import create_run
from orion.tenants.repository import create_tenant
from tests.web.server import ApiServer


@dataclass(frozen=True)
class SseEvent:
    name: str  # "comment" for a heartbeat
    data: Any = None


class SseReader:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self) -> SseEvent:
        name: str | None = None
        data: list[str] = []
        comment = False
        while True:
            line = await anext(self._lines)
            if line == "":
                if name or data:
                    return SseEvent(name or "message", json.loads("\n".join(data)))
                if comment:
                    return SseEvent("comment")
                continue
            if line.startswith(":"):
                comment = True
                continue
            key, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if key == "event":
                name = value
            elif key == "data":
                data.append(value)

    async def next_named(self, *names: str) -> SseEvent:
        """The next event with one of these names (heartbeats in between are skipped)."""
        while True:
            event = await self.next()
            if event.name in names:
                return event


async def ticket(client: httpx.AsyncClient, server: ApiServer, tenant: uuid.UUID, **kw: Any) -> str:
    response = await client.post(
        f"{server.url}/api/v1/events/tickets",
        headers={"Authorization": f"Bearer {server.token(tenant, **kw)}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["ticket"])


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, server: ApiServer, tenant: uuid.UUID, **kw: Any
) -> AsyncIterator[SseReader]:
    """A stream of the tenant's changes, after its ``ready`` event."""
    url = f"{server.url}/api/v1/events/stream"
    params = {"ticket": await ticket(client, server, tenant, **kw)}
    async with client.stream("GET", url, params=params) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = SseReader(response)
        ready = await reader.next()
        assert ready.name == "ready"
        assert ready.data["listening"] is True
        yield reader


async def new_tenant_with_connection(database: Database) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = uuid.uuid4()
    async with database.tenant_transaction(tenant) as session:
        await create_tenant(session, tenant, f"live {tenant.hex[:6]}")
        connection = await session.scalar(
            insert(connections)
            .values(
                tenant_id=tenant,
                provider="stripe",
                external_account_id=f"acct_{tenant.hex[:12]}",
                credentials=b"not-a-real-secret",
                credentials_key_id="test",
            )
            .returning(connections.c.id)
        )
    assert connection is not None
    return tenant, connection


async def start_run(database: Database, tenant: uuid.UUID, connection: uuid.UUID) -> uuid.UUID:
    async with database.tenant_transaction(tenant) as session:
        return await create_run(session, tenant, connection, f"wf-{uuid.uuid4()}", "manual")


async def eventually(check: Callable[[], bool], within: float = 30) -> None:
    """Wait until ``check()`` holds; ``within`` only stops a broken test from hanging."""
    async with asyncio.timeout(within):
        while True:
            if check():
                return
            await asyncio.sleep(0.05)
