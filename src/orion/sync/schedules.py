"""Temporal Schedules, one per connection, kept in step with the connections table.

The API creates or updates a connection's schedule right after changing the connection, but
Temporal may be unreachable at that moment; the worker's reconciler (``reconcile``) repairs
any difference on start and periodically: missing schedules are created, schedules of
deleted connections removed, paused state and interval aligned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from sqlalchemy import text
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from orion.platform.db import Database
from orion.sync.inputs import ScheduledSyncInput, SyncInput, schedule_id, sync_workflow_id
from orion.sync.workflows import ScheduledSyncWorkflow, SyncWorkflow

_log = structlog.get_logger("orion.sync.schedules")
SCHEDULE_PREFIX = "sync-schedule-"


class SyncAlreadyRunning(Exception):
    """A sync of this connection is in progress (its workflow id is taken)."""


def _schedule(
    tenant_id: str, connection_id: str, interval: int, task_queue: str, paused: bool
) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ScheduledSyncWorkflow.run,
            ScheduledSyncInput(tenant_id, connection_id),
            id=f"sync-scheduled-{connection_id}",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=interval))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(paused=paused, note="paused with its connection" if paused else ""),
    )


class TemporalSyncSchedules:
    """``SyncSchedules`` for the connections domain, plus starting a sync right now."""

    def __init__(self, client: Client, task_queue: str) -> None:
        self._client = client
        self._task_queue = task_queue

    async def ensure(
        self, tenant_id: uuid.UUID, connection_id: uuid.UUID, interval_seconds: int, paused: bool
    ) -> None:
        wanted = _schedule(
            str(tenant_id), str(connection_id), interval_seconds, self._task_queue, paused
        )
        try:
            await self._client.create_schedule(schedule_id(str(connection_id)), wanted)
            return
        except ScheduleAlreadyRunningError:
            pass

        def replace(_current: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=wanted)

        await self._client.get_schedule_handle(schedule_id(str(connection_id))).update(replace)

    async def remove(self, connection_id: uuid.UUID | str) -> bool:
        """Delete the schedule; False when it was already gone."""
        try:
            await self._client.get_schedule_handle(schedule_id(str(connection_id))).delete()
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            return False
        return True

    async def start_now(
        self, tenant_id: uuid.UUID, connection_id: uuid.UUID
    ) -> WorkflowHandle[SyncWorkflow, object]:
        try:
            return await self._client.start_workflow(
                SyncWorkflow.run,
                SyncInput(str(tenant_id), str(connection_id), trigger="manual"),
                id=sync_workflow_id(str(connection_id)),
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            )
        except WorkflowAlreadyStartedError:
            raise SyncAlreadyRunning(str(connection_id)) from None


@dataclass
class ReconcileReport:
    created_or_updated: int = 0  # schedules that differed from their connection
    removed: int = 0  # schedules whose connection no longer exists


async def reconcile(
    database: Database, schedules: TemporalSyncSchedules, client: Client
) -> ReconcileReport:
    """Make Temporal's schedules match the connections table (idempotent)."""
    report = ReconcileReport()
    async with database.system_transaction() as session:
        rows = (await session.execute(text("SELECT * FROM orion_all_connections()"))).all()
    existing: dict[str, tuple[int | None, bool]] = {}
    async for listed in await client.list_schedules():
        if not listed.id.startswith(SCHEDULE_PREFIX):
            continue
        intervals = listed.schedule.spec.intervals if listed.schedule else []
        every = int(intervals[0].every.total_seconds()) if intervals else None
        paused = bool(listed.schedule and listed.schedule.state.paused)
        existing[listed.id[len(SCHEDULE_PREFIX) :]] = (every, paused)
    known = set()
    for row in rows:
        connection = str(row.connection_id)
        known.add(connection)
        wanted = (row.sync_interval_seconds, row.status != "active")
        if existing.get(connection) != wanted:
            await schedules.ensure(row.tenant_id, row.connection_id, wanted[0], paused=wanted[1])
            report.created_or_updated += 1
    # Temporal's schedule list is eventually consistent: a schedule deleted a moment ago may
    # still be listed, so removal tolerates "not found" and only counts real deletions.
    for connection in set(existing) - known:
        if await schedules.remove(connection):
            report.removed += 1
    _log.info("schedules_reconciled", changed=report.created_or_updated, removed=report.removed)
    return report
