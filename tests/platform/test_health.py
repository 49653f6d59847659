"""Readiness mechanics: aggregation, the IETF shape, caching, single flight, deadlines, drain.

The probes here are plain coroutines so each rule can be shown alone; the same monitor against
real Postgres, Temporal and Redis outages is in test_health_dependencies.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from orion.platform.health import Dependency, HealthMonitor, health_router
from orion.platform.shutdown import DrainState
from tests.fixtures.http import asgi_client


def ok() -> Dependency:
    async def probe() -> None:
        return None

    return Dependency("postgres", "datastore", required=True, probe=probe)


def failing(component: str, *, required: bool, message: str = "boom") -> Dependency:
    async def probe() -> None:
        raise ConnectionRefusedError(message)

    return Dependency(component, "datastore", required=required, probe=probe)


def hanging(component: str, *, required: bool = True) -> Dependency:
    async def probe() -> None:
        await asyncio.Event().wait()

    return Dependency(component, "component", required=required, probe=probe)


def monitor(*dependencies: Dependency, expose: bool = False, cache: float = 0.0) -> HealthMonitor:
    return HealthMonitor(
        lambda: dependencies, timeout_seconds=0.3, cache_seconds=cache, expose_errors=expose
    )


def app_for(health: HealthMonitor, drain: DrainState | None = None) -> FastAPI:
    app = FastAPI()
    app.include_router(
        health_router(health, drain or DrainState(), version="1.2.3", release_id="abc123")
    )
    return app


async def get(app: FastAPI, path: str) -> httpx.Response:
    async with asgi_client(app) as client:
        return await client.get(path)


async def test_all_passing_is_pass_in_the_ietf_shape() -> None:
    response = await get(app_for(monitor(ok())), "/health/detailed")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/health+json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["status"] == "pass"
    assert (body["version"], body["releaseId"]) == ("1.2.3", "abc123")
    [check] = body["checks"]["postgres:responseTime"]
    assert check["componentType"] == "datastore"
    assert check["observedUnit"] == "ms"
    assert isinstance(check["observedValue"], float)
    assert check["status"] == "pass"
    assert check["time"].endswith("Z")
    assert "output" not in check


async def test_required_failure_is_503_fail_and_optional_failure_is_200_warn() -> None:
    required = await get(
        app_for(monitor(ok(), failing("temporal", required=True))), "/health/ready"
    )
    assert required.status_code == 503
    assert required.json()["status"] == "fail"
    assert required.json()["checks"]["temporal:responseTime"] == [{"status": "fail"}]

    optional = await get(app_for(monitor(ok(), failing("redis", required=False))), "/health/ready")
    assert optional.status_code == 200
    assert optional.json()["status"] == "warn"
    assert optional.json()["checks"]["redis:responseTime"] == [{"status": "warn"}]


async def test_errors_are_named_by_kind_outside_development() -> None:
    secret = "postgresql://orion:hunter2@db.internal:5432/orion"
    dependencies = (failing("postgres", required=True, message=secret), hanging("temporal"))
    body = (await get(app_for(monitor(*dependencies)), "/health/detailed")).json()
    assert body["checks"]["postgres:responseTime"][0]["output"] == "unavailable"
    assert body["checks"]["temporal:responseTime"][0]["output"] == "timeout"
    assert "hunter2" not in str(body) and "db.internal" not in str(body)

    development = await get(app_for(monitor(*dependencies, expose=True)), "/health/detailed")
    output = development.json()["checks"]["postgres:responseTime"][0]["output"]
    assert output.startswith("unavailable: ConnectionRefusedError")


async def test_a_passing_probe_with_a_note_is_warn() -> None:
    async def probe() -> None:
        return None

    noted = Dependency("redis", "datastore", required=False, probe=probe, note=lambda: "fallback")
    body = (await get(app_for(monitor(ok(), noted)), "/health/detailed")).json()
    assert body["status"] == "warn"
    assert body["checks"]["redis:responseTime"][0]["output"] == "fallback"


async def test_unconfigured_dependencies() -> None:
    missing_required = Dependency("postgres", "datastore", required=True, probe=None)
    missing_optional = Dependency("temporal", "component", required=False, probe=None)
    response = await get(app_for(monitor(missing_required, missing_optional)), "/health/detailed")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["postgres:responseTime"][0] == {
        "componentType": "datastore",
        "status": "fail",
        "time": checks["postgres:responseTime"][0]["time"],
        "output": "not configured",
    }
    assert checks["temporal:responseTime"][0]["status"] == "warn"


async def test_a_hanging_probe_is_abandoned_at_its_deadline() -> None:
    health = monitor(ok(), hanging("temporal"), hanging("redis", required=False))
    started = time.perf_counter()
    report = await health.report()
    elapsed = time.perf_counter() - started
    assert elapsed < health.timeout_seconds + 0.1  # the bound is the feature
    assert report.status == "fail"
    assert {c.component: c.output for c in report.checks}["redis"] == "timeout"


async def test_concurrent_callers_share_one_check_and_results_are_cached() -> None:
    calls = 0

    async def slow_probe() -> None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)

    dependency = Dependency("postgres", "datastore", required=True, probe=slow_probe)
    health = monitor(dependency, cache=60.0)
    reports = await asyncio.gather(*(health.report() for _ in range(50)))
    assert calls == 1
    assert len({id(report) for report in reports}) == 1
    await health.report()
    assert calls == 1  # cached

    uncached = monitor(dependency, cache=0.0)
    await uncached.report()
    await uncached.report()
    assert calls == 3


async def test_a_caller_that_goes_away_does_not_cancel_the_shared_check() -> None:
    done = asyncio.Event()

    async def probe() -> None:
        await asyncio.sleep(0.05)
        done.set()

    health = monitor(Dependency("postgres", "datastore", required=True, probe=probe))
    impatient = asyncio.ensure_future(health.report())
    await asyncio.sleep(0.01)
    impatient.cancel()
    report = await health.report()
    assert done.is_set()
    assert report.status == "pass"


async def test_draining_turns_readiness_503_without_probing() -> None:
    calls = 0

    async def probe() -> None:
        nonlocal calls
        calls += 1

    drain = DrainState()
    app = app_for(monitor(Dependency("postgres", "datastore", True, probe)), drain)
    assert (await get(app, "/health/ready")).status_code == 200
    drain.begin()
    response = await get(app, "/health/ready")
    assert response.status_code == 503
    assert response.json()["output"] == "draining"
    assert calls == 1
    detailed = await get(app, "/health/detailed")
    assert detailed.status_code == 503
    assert detailed.json()["status"] == "fail"


@pytest.mark.parametrize("path", ["/health/ready", "/health/detailed"])
async def test_the_drain_file_is_seen_by_another_state(tmp_path: Path, path: str) -> None:
    marker = tmp_path / "draining"
    app = app_for(monitor(ok()), DrainState(marker))
    assert (await get(app, path)).status_code == 200
    DrainState(marker).begin()  # what the server process does on SIGTERM
    assert (await get(app, path)).status_code == 503
