"""Two real API processes sharing one Redis: one limit for both, and a Redis outage survived.

Both instances run ``python -m orion api`` (development settings through the environment, the
session's test database, a throwaway redis-server). The limit must hold across them; with
Redis killed each falls back to its own memory budget (limit x instances), answers no 500,
reports ``warn``, and returns to the shared limit by itself once Redis is back.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from orion.platform.auth import mint_development_token
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.settings import SettingsFactory
from tests.platform.throwaway import ApiProcess, api_processes, child_environment, redis_server

LIMIT = 10

pytestmark = pytest.mark.chaos


def alternate(instances: list[ApiProcess], count: int, token: str) -> list[int]:
    """``count`` reads spread over the instances in turn; their status codes in order."""
    statuses = []
    for _, instance in zip(range(count), itertools.cycle(instances), strict=False):
        response = httpx.get(
            f"{instance.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        statuses.append(response.status_code)
    return statuses


def redis_status(instance: ApiProcess) -> str:
    body = httpx.get(f"{instance.url}/health/detailed", timeout=10).json()
    return str(body["checks"]["redis:responseTime"][0]["status"])


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for recovery; ``timeout`` only stops a broken test."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.2)


def test_two_instances_share_one_limit_and_survive_a_redis_outage(
    tmp_path: Path, shared_database: TestDatabase, settings_factory: SettingsFactory
) -> None:
    secret = settings_factory("development").supabase.jwt_secret
    assert secret is not None
    token = mint_development_token(
        secret.get_secret_value(),
        uuid.uuid4(),
        ttl_seconds=600,
        audience="authenticated",
        tenant_claim="app_metadata.tenant_id",
    )
    with redis_server(tmp_path) as redis:
        environment = child_environment(
            ORION_ENV="development",
            DATABASE_URL=shared_database.app_url,
            REDIS_URL=redis.url,
            RATELIMIT_READ=f"{LIMIT}/minute",
            RATELIMIT_REDIS_PROBE_SECONDS="0.5",
            HEALTH_CACHE_SECONDS="0",
            API_SHUTDOWN_DRAIN_SECONDS="0",
            LOG_LEVEL="WARNING",
        )
        with api_processes(tmp_path, environment, count=2) as instances:
            shared = alternate(instances, LIMIT + 3, token)
            assert shared == [200] * LIMIT + [429] * 3  # one budget for both instances

            redis.stop()
            fallback = alternate(instances, 2 * LIMIT + 2, token)
            assert 500 not in fallback
            assert fallback.count(200) == 2 * LIMIT  # each instance's own memory budget
            assert fallback[-2:] == [429, 429]
            assert [redis_status(instance) for instance in instances] == ["warn", "warn"]
            metrics = httpx.get(f"{instances[0].url}/metrics", timeout=10).text
            assert "orion_ratelimit_fallback_active 1.0" in metrics

            redis.start()  # empty again (--save '')
            for instance in instances:
                wait_for(lambda instance=instance: redis_status(instance) == "pass")
            again = alternate(instances, LIMIT + 2, token)
            assert again == [200] * LIMIT + [429] * 2  # shared again, not 2 x LIMIT
