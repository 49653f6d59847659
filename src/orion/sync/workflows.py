"""Sync workflows. Deterministic only: every side effect happens in an activity.

``SyncWorkflow`` (id ``sync-<connection>``) pages through each record kind until the
provider has no more, continuing as new every ``pages_per_run`` pages so its history stays
bounded. Schedules cannot give a started workflow a fixed id (Temporal appends the time), so
they start ``ScheduledSyncWorkflow``, which starts ``SyncWorkflow`` under its fixed id and
simply skips when a sync of that connection is already running.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from orion.sync.activities import SyncActivities
    from orion.sync.inputs import (
        FinishRunInput,
        PageInput,
        ScheduledSyncInput,
        StartRunInput,
        SyncInput,
        SyncOutcome,
        sync_workflow_id,
    )

PAGE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["BadCredentials", "Permanent", "VaultError"],
)
BOOKKEEPING_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


@workflow.defn(name="SyncWorkflow")
class SyncWorkflow:
    @workflow.run
    async def run(self, data: SyncInput) -> SyncOutcome:
        run_id = data.run_id
        if run_id is None:
            run_id = await workflow.execute_activity_method(
                SyncActivities.start_run,
                StartRunInput(
                    data.tenant_id, data.connection_id, workflow.info().workflow_id, data.trigger
                ),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=BOOKKEEPING_RETRY,
            )
        pages = 0
        try:
            for index in range(data.kind_index, len(data.kinds)):
                while True:
                    result = await workflow.execute_activity_method(
                        SyncActivities.sync_page,
                        PageInput(data.tenant_id, data.connection_id, run_id, data.kinds[index]),
                        start_to_close_timeout=timedelta(minutes=2),
                        heartbeat_timeout=timedelta(seconds=10),
                        retry_policy=PAGE_RETRY,
                    )
                    pages += 1
                    if result.stopped is not None:
                        await self._finish(data, run_id, "cancelled", result.stopped)
                        return SyncOutcome(run_id, "stopped", pages)
                    if not result.has_more:
                        break
                    if result.retry_after_seconds:
                        await workflow.sleep(timedelta(seconds=result.retry_after_seconds))
                    if pages >= data.pages_per_run:
                        workflow.continue_as_new(replace(data, run_id=run_id, kind_index=index))
        except asyncio.CancelledError:
            await asyncio.shield(
                asyncio.ensure_future(self._finish(data, run_id, "cancelled", "cancelled"))
            )
            raise
        except ActivityError as exc:
            message = str(exc.cause.message if isinstance(exc.cause, ApplicationError) else exc)
            await self._finish(data, run_id, "failed", message)
            raise ApplicationError(f"sync failed: {message}", non_retryable=True) from exc
        await self._finish(data, run_id, "completed", None)
        return SyncOutcome(run_id, "completed", pages)

    async def _finish(self, data: SyncInput, run_id: str, status: str, error: str | None) -> None:
        await workflow.execute_activity_method(
            SyncActivities.finish_run,
            FinishRunInput(data.tenant_id, data.connection_id, run_id, status, error),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=BOOKKEEPING_RETRY,
        )


@workflow.defn(name="ScheduledSyncWorkflow")
class ScheduledSyncWorkflow:
    @workflow.run
    async def run(self, data: ScheduledSyncInput) -> str:
        try:
            handle = await workflow.start_child_workflow(
                SyncWorkflow.run,
                SyncInput(data.tenant_id, data.connection_id, trigger="schedule"),
                id=sync_workflow_id(data.connection_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            return "skipped: a sync of this connection is already running"
        outcome = await handle
        return outcome.status
