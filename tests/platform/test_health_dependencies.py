"""Readiness against real outages: Postgres, Temporal and Redis stopped, restarted, blackholed.

Each dependency is a throwaway instance of this module (embedded Postgres in tmp, a Temporal
dev server, a redis-server), so stopping one never disturbs other tests. The app runs with
deployed (production) settings, where failures must be named by kind only.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from orion.entrypoints.api import create_app
from orion.platform.embedded_postgres import EmbeddedPostgres
from orion.platform.resources import Resources, open_resources
from orion.platform.temporal_dev import TemporalDevServer
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory, production_values
from tests.platform.throwaway import RedisServer, black_hole, eventually

HOST = "api-prod.railway.app"
TIMEOUT = 1.0


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("health-pg") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def temporal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemporalDevServer]:
    server = TemporalDevServer(tmp_path_factory.mktemp("health-temporal") / "temporal.db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("health-redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def deployed(settings_factory: SettingsFactory, **overrides: str) -> Any:
    values = production_values()
    del values["TEMPORAL_API_KEY"]  # the dev server speaks plain gRPC
    values.update(
        TEMPORAL_NAMESPACE="default",
        HEALTH_TIMEOUT_SECONDS=str(TIMEOUT),
        HEALTH_CACHE_SECONDS="0",
        **overrides,
    )
    return settings_factory("production", **values)


@pytest.fixture
async def app(
    settings_factory: SettingsFactory,
    postgres: EmbeddedPostgres,
    temporal: TemporalDevServer,
    redis_server: RedisServer,
) -> AsyncIterator[FastAPI]:
    settings = deployed(
        settings_factory,
        DATABASE_URL=postgres.status().url(),
        TEMPORAL_ADDRESS=temporal.address,
        REDIS_URL=redis_server.url,
    )
    async with running_app(settings) as app:
        yield app


class running_app:  # noqa: N801 - an async context manager used like a function
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.resources: Resources | None = None
        self.app: FastAPI | None = None

    async def __aenter__(self) -> FastAPI:
        self.resources = await open_resources(self.settings, "orion-health-test")
        self.app = create_app(self.settings, self.resources)
        return self.app

    async def __aexit__(self, *_exc: object) -> None:
        assert self.app is not None and self.resources is not None
        await self.app.state.rate_limiter.close()
        await self.resources.close()


async def detailed(app: FastAPI) -> httpx.Response:
    async with asgi_client(app, host=HOST) as client:
        return await client.get("/health/detailed")


def statuses(response: httpx.Response) -> dict[str, str]:
    checks = response.json()["checks"]
    return {key.split(":")[0]: value[0]["status"] for key, value in checks.items()}


def outputs(response: httpx.Response) -> dict[str, str | None]:
    checks = response.json()["checks"]
    return {key.split(":")[0]: value[0].get("output") for key, value in checks.items()}


async def passes(app: FastAPI) -> bool:
    return (await detailed(app)).json()["status"] == "pass"


async def test_everything_up_is_pass(app: FastAPI) -> None:
    response = await detailed(app)
    assert response.status_code == 200, response.text
    assert statuses(response) == {"postgres": "pass", "temporal": "pass", "redis": "pass"}
    for check in response.json()["checks"].values():
        assert check[0]["observedUnit"] == "ms"
        assert check[0]["observedValue"] >= 0
    async with asgi_client(app, host=HOST) as client:
        ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "pass"


async def test_postgres_stopped_fails_and_recovers(
    app: FastAPI, postgres: EmbeddedPostgres
) -> None:
    postgres.stop()
    try:
        response = await detailed(app)
        assert response.status_code == 503
        assert response.json()["status"] == "fail"
        assert statuses(response)["postgres"] == "fail"
        assert outputs(response)["postgres"] == "unavailable"
        assert str(postgres.socket_dir) not in response.text
    finally:
        postgres.start()
    await eventually(lambda: passes(app))


async def test_temporal_stopped_fails_and_recovers(
    app: FastAPI, temporal: TemporalDevServer
) -> None:
    temporal.stop()
    try:
        response = await detailed(app)
        assert response.status_code == 503
        assert statuses(response) == {"postgres": "pass", "temporal": "fail", "redis": "pass"}
        assert outputs(response)["temporal"] in {"unavailable", "timeout"}
        assert str(temporal.port) not in response.text
    finally:
        temporal.start()
    await eventually(lambda: passes(app))


async def test_redis_stopped_warns_and_recovers(app: FastAPI, redis_server: RedisServer) -> None:
    redis_server.stop()
    try:
        response = await detailed(app)
        assert response.status_code == 200
        assert response.json()["status"] == "warn"
        assert statuses(response) == {"postgres": "pass", "temporal": "pass", "redis": "warn"}
        assert outputs(response)["redis"] == "unavailable"
    finally:
        redis_server.start()
    await eventually(lambda: passes(app))


async def test_blackholed_dependencies_answer_within_the_timeout(
    settings_factory: SettingsFactory, tmp_path: Path
) -> None:
    with black_hole() as pg, black_hole() as temporal, black_hole() as redis:
        settings = deployed(
            settings_factory,
            DATABASE_URL=f"postgresql://orion_app:pw@{pg.address}/orion",
            TEMPORAL_ADDRESS=temporal.address,
            REDIS_URL=f"redis://{redis.address}/0",
        )
        async with running_app(settings) as app:
            for _ in range(2):  # abandoned probes from the first call must not slow the next
                started = time.perf_counter()
                response = await detailed(app)
                elapsed = time.perf_counter() - started
                assert elapsed < TIMEOUT + 0.1  # the bound is the feature
                assert response.status_code == 503
                assert set(outputs(response).values()) == {"timeout"}
