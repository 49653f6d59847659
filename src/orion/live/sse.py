"""The ``text/event-stream`` a subscription produces (the WHATWG server-sent events format)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from orion.live.hub import LiveEvent, LiveHub

HEARTBEAT = b": keep-alive\n\n"
RECONNECT_MS = 5000


def sse_event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def event_stream(
    hub: LiveHub, tenant_id: uuid.UUID, session_expires_at: datetime
) -> AsyncIterator[bytes]:
    """``ready``, then ``change``/``resync`` events and heartbeat comments, until ``bye``.

    Ends (with a ``bye``) when the token behind the ticket expires, when the process drains,
    or when the client goes away (Starlette cancels the generator); always unsubscribes.
    The subscription is made here, not by the endpoint, so a stream that never starts
    leaves nothing behind.
    """
    subscription, listening = await hub.subscribe(tenant_id)
    heartbeat_seconds = hub.heartbeat_seconds
    try:
        ready = {"listening": listening, "heartbeat_seconds": heartbeat_seconds}
        yield f"retry: {RECONNECT_MS}\n".encode() + sse_event("ready", ready)
        while True:
            remaining = (session_expires_at - datetime.now(UTC)).total_seconds()
            if remaining <= 0:
                yield sse_event("bye", {"reason": "token expired"})
                return
            event: LiveEvent | None = await subscription.next(min(heartbeat_seconds, remaining))
            if event is None:
                if datetime.now(UTC) < session_expires_at:
                    yield HEARTBEAT
                continue
            yield sse_event(event.name, event.data)
            if event.name == "bye":
                return
    finally:
        hub.unsubscribe(subscription)
