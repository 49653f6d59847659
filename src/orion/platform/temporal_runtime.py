"""A Temporal runtime that serves the SDK's own metrics to Prometheus.

The Temporal SDK measures what Orion cannot see from outside: task-queue poll latency, workflow
task and activity execution latency, slot usage, failures (``temporal_*`` series). The core SDK
serves them itself on ``bind_address`` (``host:port``, plain HTTP ``/metrics``); the worker
creates one runtime per process with this and passes it to ``Client.connect(runtime=...)``.
Names follow Prometheus conventions like our own metrics: durations in seconds with a unit
suffix, counters ending in ``_total`` (``temporal_workflow_completed_total``,
``temporal_activity_execution_latency_seconds``).
"""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig


def runtime_with_prometheus(bind_address: str) -> Runtime:
    """A runtime exporting SDK metrics on ``bind_address``; create it once per process."""
    prometheus = PrometheusConfig(
        bind_address=bind_address,
        counters_total_suffix=True,
        unit_suffix=True,
        durations_as_seconds=True,
    )
    return Runtime(telemetry=TelemetryConfig(metrics=prometheus))
