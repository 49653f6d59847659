"""The probes behind readiness: the cheapest call that proves each dependency answers.

- Postgres: ``SELECT 1`` through the application's own engine and pool, so a pool that cannot
  hand out a connection shows up as unready too.
- Temporal: the gRPC health service of the frontend (``check_health``), no workflow touched.
- Redis: ``PING``. Optional: without Redis the rate limits fall back to per-instance memory,
  so the instance still serves (``warn``). While the limiter is still on its fallback after
  Redis answers again, the check says so instead of claiming all is well.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from redis.asyncio import Redis
from sqlalchemy import text
from temporalio.client import Client

from orion.platform.config import Settings
from orion.platform.db import Database
from orion.platform.health import Dependency, HealthMonitor, Probe
from orion.platform.ratelimit import RateLimiter
from orion.platform.resources import Resources

_SELECT_ONE = text("SELECT 1")


class TemporalNotServing(RuntimeError):
    """The frontend answered, but says the workflow service is not serving."""


def postgres_probe(database: Database) -> Probe:
    async def probe() -> None:
        async with database.engine.connect() as connection:
            await connection.execute(_SELECT_ONE)

    return probe


def temporal_probe(client: Client, timeout_seconds: float) -> Probe:
    async def probe() -> None:
        deadline = timedelta(seconds=timeout_seconds)
        if not await client.service_client.check_health(timeout=deadline):
            raise TemporalNotServing("the Temporal frontend reports NOT_SERVING")

    return probe


def redis_probe(redis: Redis) -> Probe:
    async def probe() -> None:
        await redis.ping()

    return probe


def api_dependencies(
    resources: Resources | None,
    *,
    timeout_seconds: float,
    rate_limit_note: Callable[[], str | None],
) -> list[Dependency]:
    """What the API needs: Postgres and Temporal (required), Redis (optional, if configured).

    Temporal may be absent in development only (deployed settings require TEMPORAL_ADDRESS);
    it is then reported as ``warn``/"not configured": the API runs, workflows cannot start.
    """
    database = resources.database if resources is not None else None
    temporal = resources.temporal if resources is not None else None
    redis = resources.redis if resources is not None else None
    found = [
        Dependency(
            "postgres",
            "datastore",
            required=True,
            probe=postgres_probe(database) if database is not None else None,
        ),
        Dependency(
            "temporal",
            "component",
            required=temporal is not None,
            probe=temporal_probe(temporal, timeout_seconds) if temporal is not None else None,
        ),
    ]
    if redis is not None:
        found.append(
            Dependency(
                "redis", "datastore", required=False, probe=redis_probe(redis), note=rate_limit_note
            )
        )
    return found


def api_health_monitor(
    settings: Settings, resources: Callable[[], Resources | None], limiter: RateLimiter
) -> HealthMonitor:
    """The API's monitor; ``resources`` is read per check (the lifespan opens them later)."""

    def note() -> str | None:
        if limiter.fallback_active:
            return "rate limits are per instance (memory) until the limiter is back on Redis"
        return None

    timeout = settings.health.timeout_seconds
    return HealthMonitor(
        lambda: api_dependencies(resources(), timeout_seconds=timeout, rate_limit_note=note),
        timeout_seconds=timeout,
        cache_seconds=settings.health.cache_seconds,
        expose_errors=not settings.env.deployed,
    )
