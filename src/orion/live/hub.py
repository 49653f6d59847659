"""Fan-out of the process's one LISTEN connection to its stream subscribers, by tenant.

The listener starts with the first subscriber (most API processes in tests and many in
production never serve a stream, and should not hold a connection for it). Each subscriber
has a bounded queue: a client too slow to keep up loses its pending events and gets one
``resync`` instead, which makes it re-read everything it shows. When the process starts to
drain for shutdown, every stream is told ``bye`` so clients reconnect to another instance and
uvicorn's graceful shutdown is not held up by streams that never end.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from orion.live.listener import ChangeListener
from orion.live.notifications import Change
from orion.platform.shutdown import DrainState

_log = structlog.get_logger("orion.live")
ListenerFactory = Callable[[Callable[[Change], None], Callable[[], None]], ChangeListener]


@dataclass(frozen=True)
class LiveEvent:
    name: str  # change | resync | bye
    data: dict[str, Any] = field(default_factory=dict)


RESYNC = LiveEvent("resync", {"reason": "events may have been missed"})


class Subscription:
    def __init__(self, tenant_id: uuid.UUID, queue_size: int) -> None:
        self.tenant_id = tenant_id
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(maxsize=queue_size)

    def offer(self, event: LiveEvent) -> None:
        """Queue an event; a full queue is replaced by one ``resync`` (never blocks)."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)

    async def next(self, within: float) -> LiveEvent | None:
        """The next event, or ``None`` after ``within`` seconds of silence."""
        try:
            return await asyncio.wait_for(self.queue.get(), within)
        except TimeoutError:
            return None


class LiveHub:
    def __init__(
        self,
        listener_factory: ListenerFactory,
        drain: DrainState,
        *,
        queue_size: int = 256,
        heartbeat_seconds: float = 15.0,
        drain_check_seconds: float = 0.5,
        listen_timeout_seconds: float = 5.0,
    ) -> None:
        self._factory = listener_factory
        self._drain = drain
        self._queue_size = queue_size
        self.heartbeat_seconds = heartbeat_seconds
        self._drain_check = drain_check_seconds
        self._listen_timeout = listen_timeout_seconds
        self._subscribers: dict[uuid.UUID, set[Subscription]] = {}
        self._listener: ChangeListener | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed = False

    @property
    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    @property
    def listener(self) -> ChangeListener | None:
        return self._listener

    @property
    def accepting(self) -> bool:
        return not self._closed and not self._drain.draining

    async def subscribe(self, tenant_id: uuid.UUID) -> tuple[Subscription, bool]:
        """A new subscription and whether changes are being received right now."""
        listener = self._start()
        subscription = Subscription(tenant_id, self._queue_size)
        self._subscribers.setdefault(tenant_id, set()).add(subscription)
        listening = await listener.wait_listening(self._listen_timeout)
        return subscription, listening

    def unsubscribe(self, subscription: Subscription) -> None:
        subs = self._subscribers.get(subscription.tenant_id)
        if subs is not None:
            subs.discard(subscription)
            if not subs:
                del self._subscribers[subscription.tenant_id]

    async def close(self) -> None:
        """Lifespan shutdown: say goodbye to every stream and stop listening."""
        self._closed = True
        self._broadcast(LiveEvent("bye", {"reason": "shutting down"}))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def _start(self) -> ChangeListener:
        if self._listener is None:
            self._listener = self._factory(self._on_change, self._on_resync)
            # A fresh context: the tasks outlive the request that started them (and its id).
            context = contextvars.Context()
            self._tasks = [
                asyncio.create_task(self._listener.run(), name="live-listen", context=context),
                asyncio.create_task(self._watch_drain(), name="live-drain", context=context),
            ]
        return self._listener

    def _on_change(self, change: Change) -> None:
        event = LiveEvent("change", change.public())
        for subscription in self._subscribers.get(change.tenant_id, ()):
            subscription.offer(event)

    def _on_resync(self) -> None:
        self._broadcast(RESYNC)

    def _broadcast(self, event: LiveEvent) -> None:
        for subs in self._subscribers.values():
            for subscription in subs:
                subscription.offer(event)

    async def _watch_drain(self) -> None:
        # Polled: with several uvicorn workers the drain marker is a file another process makes.
        while True:
            if self._drain.draining:
                break
            await asyncio.sleep(self._drain_check)
        _log.info("live_streams_closing", streams=self.subscriber_count)
        self._broadcast(LiveEvent("bye", {"reason": "draining"}))
