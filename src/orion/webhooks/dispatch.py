"""Handing stored events to Temporal, from the API right after the commit.

:func:`start_processing` starts ``ProcessWebhookWorkflow`` under the event's workflow id with
``REJECT_DUPLICATE``: whoever starts an event second (this dispatcher, the worker's relay, a
replay racing it) is refused by Temporal, which counts as done. Only then is the row marked
``dispatched``.

:class:`Dispatcher` runs in the API process, fed by the group-commit writer. It never delays
an acknowledgement, and it never retries: when Temporal is unreachable it drops what it holds
for a few seconds (the rows stay ``received``) and the worker's relay dispatches them later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from contextlib import suppress
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from orion.platform.db import Database
from orion.webhooks.inputs import ProcessWebhookInput, process_workflow_id
from orion.webhooks.repository import StoredEvent, mark_dispatched
from orion.webhooks.workflows import ProcessWebhookWorkflow

_log = structlog.get_logger("orion.webhooks.dispatch")
RPC_TIMEOUT = timedelta(seconds=5)
PARALLEL_STARTS = 32


async def start_processing(
    client: Client, task_queue: str, event: StoredEvent, max_attempts: int
) -> None:
    """Start the event's workflow; already started (by anyone) is success too."""
    workflow_id = process_workflow_id(
        event.provider, str(event.connection_id), event.event_id, event.replays
    )
    with suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            ProcessWebhookWorkflow.run,
            ProcessWebhookInput(
                tenant_id=str(event.tenant_id),
                event_id=str(event.id),
                provider=event.provider,
                generation=event.replays,
                max_attempts=max_attempts,
            ),
            id=workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=RPC_TIMEOUT,
        )


async def start_many(
    client: Client, task_queue: str, events: Sequence[StoredEvent], max_attempts: int
) -> list[StoredEvent]:
    """Start each event's workflow (bounded parallelism); return those that are running."""
    gate = asyncio.Semaphore(PARALLEL_STARTS)

    async def one(event: StoredEvent) -> StoredEvent | None:
        async with gate:
            try:
                await start_processing(client, task_queue, event, max_attempts)
            except Exception as exc:  # Temporal unreachable: the relay tries again later
                _log.info("webhook_dispatch_deferred", error=type(exc).__name__)
                return None
            return event

    started = await asyncio.gather(*(one(event) for event in events))
    return [event for event in started if event is not None]


async def dispatch(
    database: Database,
    client: Client,
    task_queue: str,
    events: Sequence[StoredEvent],
    max_attempts: int,
) -> list[StoredEvent]:
    """Start workflows, then mark the started rows ``dispatched`` (one transaction)."""
    started = await start_many(client, task_queue, events, max_attempts)
    if started:
        async with database.system_transaction() as session:
            await mark_dispatched(session, started)
    return started


class Dispatcher:
    """The API's background hand-off to Temporal (best effort; the relay is the guarantee)."""

    def __init__(
        self,
        database: Database,
        client: Client | None,
        task_queue: str,
        *,
        max_attempts: int,
        backoff_seconds: float = 5.0,
        max_pending: int = 10_000,
    ) -> None:
        self._db = database
        self._client = client
        self._task_queue = task_queue
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._queue: asyncio.Queue[StoredEvent] = asyncio.Queue(max_pending)
        self._paused_until = 0.0
        self._task: asyncio.Task[None] | None = None

    def submit(self, events: list[StoredEvent]) -> None:
        """Called by the writer after a commit; never blocks, never fails."""
        if self._client is None or time.monotonic() < self._paused_until:
            return
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        for event in events:
            try:
                self._queue.put_nowait(event)
            except asyncio.QueueFull:
                return  # left `received`: the relay takes it

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        assert self._client is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < 256 and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            if time.monotonic() < self._paused_until:
                continue
            try:
                started = await dispatch(
                    self._db, self._client, self._task_queue, batch, self._max_attempts
                )
            except Exception as exc:  # the marking failed; the relay re-dispatches (no-op)
                _log.warning("webhook_dispatch_failed", error=type(exc).__name__)
                continue
            if len(started) < len(batch):
                self._paused_until = time.monotonic() + self._backoff
                while not self._queue.empty():
                    self._queue.get_nowait()
