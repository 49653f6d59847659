"""The live-update pieces without a database: payload parsing, queues, fan-out, DSN choice."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orion.live.hub import RESYNC, LiveEvent, LiveHub, Subscription
from orion.live.listener import listen_dsn
from orion.live.notifications import Change, parse_change
from orion.live.sse import event_stream, sse_event
from orion.platform.shutdown import DrainState
from tests.fixtures.settings import SettingsFactory

TENANT = uuid.UUID("5d1c3b0b-7a5c-4e4d-9f55-9a510e8f4e2d")
RUN = "0b7a5c1e-4d1f-4f55-9a51-0e8f4e2d1c3b"


def payload(**overrides: object) -> str:
    body: dict[str, object] = {
        "tenant": str(TENANT),
        "kind": "sync_run",
        "op": "update",
        "ids": [RUN],
        "count": 1,
    }
    body.update(overrides)
    return json.dumps(body)


def test_a_trigger_payload_parses_and_its_public_part_has_no_tenant() -> None:
    change = parse_change(payload())
    assert change == Change(TENANT, "sync_run", "update", (RUN,), 1)
    assert change.public() == {"kind": "sync_run", "op": "update", "ids": [RUN], "count": 1}


@pytest.mark.parametrize(
    "text",
    [
        payload(kind="customer"),
        payload(op="truncate"),
        payload(tenant="nope"),
        payload(ids=["not-a-uuid"]),
        payload(count="many"),
        json.dumps({"kind": "sync_run"}),
        "[1, 2]",
        "{",
    ],
)
def test_malformed_payloads_are_dropped(text: str) -> None:
    assert parse_change(text) is None


@given(st.text(max_size=200))
def test_parsing_never_raises(text: str) -> None:
    parse_change(text)


async def test_a_full_queue_collapses_into_one_resync() -> None:
    subscription = Subscription(TENANT, queue_size=2)
    for n in range(5):
        subscription.offer(LiveEvent("change", {"n": n}))
    assert await subscription.next(1) == RESYNC
    assert await subscription.next(0.01) is None


class IdleListener:
    """Stands in for the LISTEN connection: always listening, never delivers by itself."""

    def __init__(self, on_change: Callable[[Change], None], on_resync: Callable[[], None]):
        self.on_change = on_change
        self.on_resync = on_resync

    async def wait_listening(self, within: float) -> bool:
        return True

    async def run(self) -> None:
        await asyncio.Event().wait()


def idle_hub(drain: DrainState | None = None) -> tuple[LiveHub, list[IdleListener]]:
    made: list[IdleListener] = []

    def factory(change: Callable[[Change], None], resync: Callable[[], None]) -> IdleListener:
        made.append(IdleListener(change, resync))
        return made[-1]

    return LiveHub(factory, drain or DrainState(), drain_check_seconds=0.01), made  # type: ignore[arg-type]


async def test_the_hub_fans_out_by_tenant_and_starts_one_listener() -> None:
    hub, listeners = idle_hub()
    other = uuid.uuid4()
    mine, _ = await hub.subscribe(TENANT)
    theirs, _ = await hub.subscribe(other)
    listeners[0].on_change(Change(TENANT, "connection", "delete", (RUN,), 1))
    listeners[0].on_resync()
    try:
        assert len(listeners) == 1
        assert (await mine.next(1)) == LiveEvent(
            "change", {"kind": "connection", "op": "delete", "ids": [RUN], "count": 1}
        )
        assert (await mine.next(1)) == RESYNC
        assert (await theirs.next(1)) == RESYNC  # nothing of TENANT's reached the other
        hub.unsubscribe(mine)
        hub.unsubscribe(theirs)
        assert hub.subscriber_count == 0
    finally:
        await hub.close()


async def test_draining_says_bye_to_every_stream() -> None:
    drain = DrainState()
    hub, _ = idle_hub(drain)
    subscription, _ = await hub.subscribe(TENANT)
    drain.begin()
    try:
        assert await subscription.next(5) == LiveEvent("bye", {"reason": "draining"})
        assert not hub.accepting
    finally:
        await hub.close()


async def test_a_stream_announces_itself_and_ends_when_its_token_does() -> None:
    hub, _ = idle_hub()
    stream = event_stream(hub, TENANT, datetime.now(UTC) + timedelta(milliseconds=300))
    try:
        first = await anext(stream)
        assert first.startswith(b"retry: 5000\nevent: ready\n")
        assert b'"listening":true' in first
        assert await anext(stream) == sse_event("bye", {"reason": "token expired"})
        with pytest.raises(StopAsyncIteration):
            await anext(stream)
        assert hub.subscriber_count == 0
    finally:
        await hub.close()


def test_sse_event_format() -> None:
    assert sse_event("change", {"a": 1}) == b'event: change\ndata: {"a":1}\n\n'


def test_listening_uses_the_session_port_of_a_transaction_pooler(
    settings_factory: SettingsFactory,
) -> None:
    pooled = settings_factory(
        "development",
        DATABASE_URL="postgresql://orion_app:pw@db.pooler.supabase.com:6543/postgres?sslmode=require",
        DATABASE_TRANSACTION_POOLER="true",
    )
    direct = settings_factory("development", DATABASE_URL="postgresql://u@localhost:5433/orion")
    assert listen_dsn(pooled) == (
        "postgresql://orion_app:pw@db.pooler.supabase.com:5432/postgres?sslmode=require"
    )
    assert listen_dsn(direct) == "postgresql://u@localhost:5433/orion"
    assert listen_dsn(settings_factory("development", DATABASE_URL="")) is None
