"""The Temporal SDK's own metrics, served by the runtime, after a real workflow ran."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from orion.ops.prometheus_text import parse_samples
from orion.platform.processes import free_port
from orion.platform.temporal_dev import TemporalDevServer
from orion.platform.temporal_runtime import runtime_with_prometheus


@activity.defn
async def shout(text: str) -> str:
    return text.upper()


@workflow.defn
class ShoutWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        return await workflow.execute_activity(
            shout, text, start_to_close_timeout=timedelta(seconds=30)
        )


async def test_sdk_metrics_are_served_on_the_bind_address(
    temporal_server: TemporalDevServer,
) -> None:
    bind = f"127.0.0.1:{free_port()}"
    runtime = runtime_with_prometheus(bind)
    client = await Client.connect(temporal_server.address, runtime=runtime)
    queue = f"runtime-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ShoutWorkflow],
        activities=[shout],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result = await client.execute_workflow(
            ShoutWorkflow.run, "orion", id=f"runtime-{uuid.uuid4()}", task_queue=queue
        )
    assert result == "ORION"
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://{bind}/metrics")
    assert response.status_code == 200
    names = {sample.name for sample in parse_samples(response.text)}
    assert any(name.startswith("temporal_") for name in names), sorted(names)[:20]
    assert "temporal_workflow_completed_total" in names
    assert any(name.endswith("_seconds_bucket") for name in names)  # durations in seconds
