"""The worker process: Temporal workflows and activities, plus the schedule reconciler.

On SIGTERM/SIGINT the worker stops polling, lets running activities finish within
``WORKER_SHUTDOWN_GRACE_SECONDS`` (then cancels them; Temporal retries them elsewhere), and
exits. Killing it outright is safe too: every activity is idempotent.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, start_http_server
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.worker import Worker

from orion.connections.providers import ConnectorFactory
from orion.platform.config import Settings
from orion.platform.heap import freeze_startup_heap
from orion.platform.metrics import new_registry
from orion.platform.resources import Resources, open_resources
from orion.platform.temporal_client import connect_temporal
from orion.platform.temporal_runtime import runtime_with_prometheus
from orion.sync.activities import SyncActivities
from orion.sync.metrics import SyncMetrics
from orion.sync.schedules import TemporalSyncSchedules, reconcile
from orion.sync.workflows import ScheduledSyncWorkflow, SyncWorkflow
from orion.webhooks.activities import WebhookActivities
from orion.webhooks.metrics import WebhookMetrics
from orion.webhooks.relay import relay_for
from orion.webhooks.workflows import ProcessWebhookWorkflow

_log = structlog.get_logger("orion.worker")
WORKFLOWS: Sequence[type] = (SyncWorkflow, ScheduledSyncWorkflow, ProcessWebhookWorkflow)


def activities_for(resources: Resources, registry: CollectorRegistry | None = None) -> list[Any]:
    """Every activity, bound to this process's resources."""
    if resources.database is None:
        raise RuntimeError("the worker needs a database (DATABASE_URL)")
    sync = SyncActivities(
        resources.database,
        resources.vault,
        ConnectorFactory(resources.settings, resources.http),
        SyncMetrics(registry) if registry is not None else None,
        pages_per_activity=resources.settings.sync.pages_per_activity,
    )
    hooks = WebhookActivities(
        resources.database,
        resources.vault,
        ConnectorFactory(resources.settings, resources.http),
        WebhookMetrics(registry) if registry is not None else None,
    )
    return [sync.start_run, sync.sync_page, sync.finish_run, hooks.apply, hooks.mark_dead]


def build_worker(
    client: Client, resources: Resources, registry: CollectorRegistry | None = None
) -> Worker:
    settings = resources.settings
    return Worker(
        client,
        task_queue=settings.temporal.task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(resources, registry),
        graceful_shutdown_timeout=timedelta(seconds=settings.worker.shutdown_grace_seconds),
        max_concurrent_activities=settings.worker.max_concurrent_activities,
    )


def serve_metrics(address: str, registry: CollectorRegistry) -> None:
    """Orion's worker metrics on ``host:port``/metrics (a daemon thread)."""
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host or "0.0.0.0", registry=registry)  # noqa: S104


async def _connect(
    settings: Settings, stop: asyncio.Event, runtime: Runtime | None
) -> Client | None:
    """Connect eagerly (a worker cannot poll lazily), retrying until Temporal answers."""
    delay = 0.5
    while not stop.is_set():
        try:
            return await connect_temporal(
                settings.temporal, lazy=False, identity="orion-worker", runtime=runtime
            )
        except RuntimeError as exc:
            _log.warning("temporal_unreachable", error=str(exc)[:200], retry_in=delay)
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                delay = min(delay * 2, 10)
    return None


async def _reconcile_forever(resources: Resources, client: Client, stop: asyncio.Event) -> None:
    assert resources.database is not None
    schedules = TemporalSyncSchedules(client, resources.settings.temporal.task_queue)
    while not stop.is_set():
        try:
            await reconcile(resources.database, schedules, client)
        except Exception as exc:  # a failed pass is retried on the next interval
            _log.warning("reconcile_failed", error=type(exc).__name__)
        try:
            await asyncio.wait_for(
                stop.wait(), timeout=resources.settings.worker.reconcile_interval_seconds
            )
        except TimeoutError:
            continue


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """The ``orion worker`` process: owns its process (signals, frozen start-up heap)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    registry = new_registry()
    resources = await open_resources(settings, "orion-worker", registry=registry)
    if settings.worker.metrics_address:
        serve_metrics(settings.worker.metrics_address, registry)
    runtime = None
    if settings.worker.temporal_metrics_address:
        runtime = runtime_with_prometheus(settings.worker.temporal_metrics_address)
    try:
        client = await _connect(settings, stop, runtime)
        if client is None:
            return
        worker = build_worker(client, resources, registry)
        reconciler = asyncio.create_task(_reconcile_forever(resources, client, stop))
        relay = asyncio.create_task(relay_for(resources, client, stop))  # webhook outbox
        freeze_startup_heap()
        _log.info("worker_started", task_queue=settings.temporal.task_queue)
        async with worker:
            await stop.wait()
            _log.info("worker_stopping", grace_seconds=settings.worker.shutdown_grace_seconds)
        reconciler.cancel()
        relay.cancel()
        await asyncio.gather(reconciler, relay, return_exceptions=True)
    finally:
        await resources.close()
        _log.info("worker_stopped")
