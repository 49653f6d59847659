"""Prometheus metrics: a registry per process, HTTP metrics with bounded labels.

Route labels are route *templates* (``/api/v1/customers/{customer_id}``), never raw paths, so
label cardinality stays bounded whatever URLs clients send. The duration buckets are dense
around 3 s because the release guard rolls back on p95 > 3 s.
"""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Header
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.responses import Response

from orion.platform.errors import Unauthorized
from orion.platform.security import bearer_matches

DURATION_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0,
    7.5, 10.0, 30.0,
)  # fmt: skip
UNMATCHED_ROUTE = "<unmatched>"


def new_registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


class HttpMetrics:
    """The RED metrics of the HTTP server, read by `orion guard` and dashboards."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being answered right now.",
            registry=registry,
            multiprocess_mode="livesum",
        )

        # The labelled children, looked up once: ``labels()`` takes a lock and builds a key on
        # every call, and this runs on every request.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(method, route, str(status)),
                self.duration.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


class VaultMetrics:
    """Credential vault operations (``op`` = seal/open/reseal, ``outcome`` = ok/error).

    A burst of ``open`` errors means a key was removed too early or data was tampered with.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.operations = Counter(
            "orion_vault_operations",
            "Credential vault operations, by operation and outcome.",
            ["op", "outcome"],
            registry=registry,
        )

    def record(self, op: str, outcome: str) -> None:
        self.operations.labels(op, outcome).inc()


def build_info(registry: CollectorRegistry, version: str, release_id: str) -> None:
    info = Gauge(
        "orion_build_info",
        "Always 1; labels tell which build is running.",
        ["version", "release"],
        registry=registry,
        multiprocess_mode="max",
    )
    info.labels(version, release_id).set(1)


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """Text exposition; with several uvicorn workers, the merged view of all of them."""
    multiproc_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=multiproc_dir)  # type: ignore[no-untyped-call]
        return generate_latest(merged), CONTENT_TYPE_LATEST
    return generate_latest(registry), CONTENT_TYPE_LATEST


def metrics_router(registry: CollectorRegistry, token: str | None) -> APIRouter:
    """``/metrics``; with a token set (required when deployed) it needs ``Bearer <token>``."""
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
        if token is not None and not bearer_matches(authorization, token):
            raise Unauthorized("A valid metrics token is required.")
        body, content_type = exposition(registry)
        return Response(body, media_type=content_type)

    return router
