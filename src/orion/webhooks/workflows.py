"""``ProcessWebhookWorkflow``: apply one stored event, retrying; after N attempts, dead.

Deterministic only: the effect and the bookkeeping happen in activities. The apply activity
writes the records and marks the event processed in one transaction, so however often it is
retried (or a worker dies mid-way) the effect is committed once.

The activities run as *local* activities: an event is one short database transaction (plus a
provider read for HubSpot), and a regular activity would add a task-queue round trip and
several history writes per event, halving the rate a Temporal cluster can process webhooks
(measured on the dev server: 14 -> 28 events/s). A worker that dies mid-way is covered by the
workflow task timeout: the task, and with it the local activity, runs again elsewhere.

It runs outside the workflow sandbox (``sandboxed=False``): one execution per webhook makes
the sandbox's per-run module isolation the worker's largest cost (measured: 23 -> 13 ms of
worker CPU per execution), and this workflow only calls two activities and reads its input,
so there is nothing non-deterministic for the sandbox to catch. ``Replayer`` tests check it.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from orion.webhooks.activities import WebhookActivities
    from orion.webhooks.inputs import ApplyInput, DeadInput, ProcessWebhookInput

NON_RETRYABLE = ["BadCredentials", "Permanent", "VaultError"]
BOOKKEEPING_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


def _message(exc: FailureError) -> str:
    """The last error for the operator (a local activity's failure arrives unwrapped)."""
    cause = exc.cause if isinstance(exc, ActivityError) and exc.cause is not None else exc
    text = cause.message if isinstance(cause, FailureError) else str(cause)
    return text[:1000]


@workflow.defn(name="ProcessWebhookWorkflow", sandboxed=False)
class ProcessWebhookWorkflow:
    @workflow.run
    async def run(self, data: ProcessWebhookInput) -> str:
        try:
            result = await workflow.execute_local_activity_method(
                WebhookActivities.apply,
                ApplyInput(data.tenant_id, data.event_id, data.generation),
                start_to_close_timeout=timedelta(minutes=1),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=1),
                    backoff_coefficient=2.0,
                    maximum_interval=timedelta(minutes=1),
                    maximum_attempts=max(1, data.max_attempts),
                    non_retryable_error_types=NON_RETRYABLE,
                ),
            )
        except FailureError as exc:
            if isinstance(exc, CancelledError):
                raise
            await workflow.execute_local_activity_method(
                WebhookActivities.mark_dead,
                DeadInput(data.tenant_id, data.event_id, data.generation, _message(exc)),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=BOOKKEEPING_RETRY,
            )
            return "dead"
        return result.outcome
