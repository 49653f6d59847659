"""Moving-window rate limits, shared by every API instance through Redis.

Budgets (``RATELIMIT_READ``, ``_WRITE``, ``_WEBHOOK``) use the ``limits`` library's moving
window: at most N hits in any window of the period, with no burst at window edges. With
``REDIS_URL`` set the counters live in Redis, so the limit holds across all instances; without
it (development) they live in this process's memory.

Fallback policy when Redis fails: a request never fails because the limiter's storage did.
The first storage error switches this instance to in-memory limits (logged, counted, and shown
as ``warn`` for redis in ``/health/detailed``); the effective limit is then the limit times the
number of instances. A background task PINGs Redis every ``RATELIMIT_REDIS_PROBE_SECONDS`` (not
on every request) and switches back as soon as it answers. Redis calls fail fast
(``RATELIMIT_REDIS_TIMEOUT_SECONDS``, no retries), so a hanging Redis costs at most one timeout
before the fallback takes over.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from prometheus_client import CollectorRegistry, Counter, Gauge
from redis.asyncio import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from orion.platform.config import Settings

_log = structlog.get_logger("orion.ratelimit")


class Budget(StrEnum):
    READ = "read"
    WRITE = "write"
    WEBHOOK = "webhook"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        """``RateLimit-*`` (IETF draft) on every answer, ``Retry-After`` on refusals."""
        found = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            found["Retry-After"] = str(max(1, self.reset_seconds))
        return found


class RateLimitMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "orion_ratelimit_decisions",
            "Rate-limit decisions, by budget and decision (allowed/limited).",
            ["budget", "decision"],
            registry=registry,
        )
        self.fallback = Gauge(
            "orion_ratelimit_fallback_active",
            "1 while this instance limits in memory because Redis failed.",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.storage_errors = Counter(
            "orion_ratelimit_storage_errors",
            "Shared (Redis) rate-limit storage failures that triggered the fallback.",
            registry=registry,
        )


class RateLimiter:
    """One decision per request: ``await limiter.hit(Budget.READ, "tenant:<id>")``."""

    def __init__(
        self,
        budgets: Mapping[Budget, str],
        *,
        redis_url: str | None = None,
        redis_timeout_seconds: float = 0.5,
        probe_seconds: float = 5.0,
        metrics: RateLimitMetrics | None = None,
    ) -> None:
        self._items: dict[Budget, RateLimitItem] = {b: parse(v) for b, v in budgets.items()}
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._pool: ConnectionPool | None = None
        self._shared: MovingWindowRateLimiter | None = None
        self._shared_storage: Storage | None = None
        if redis_url is not None:
            self._pool = ConnectionPool.from_url(
                redis_url,
                socket_timeout=redis_timeout_seconds,
                socket_connect_timeout=redis_timeout_seconds,
                retry=Retry(NoBackoff(), 0),
            )
            options: dict[str, Any] = {"connection_pool": self._pool}
            self._shared_storage = RedisStorage(
                f"async+{redis_url}", implementation="redispy", **options
            )
            self._shared = MovingWindowRateLimiter(self._shared_storage)
        self._probe_seconds = probe_seconds
        self._metrics = metrics
        self._fallback = False
        self._probe: asyncio.Task[None] | None = None

    @property
    def shared(self) -> bool:
        """Whether limits are meant to be shared through Redis."""
        return self._shared is not None

    @property
    def fallback_active(self) -> bool:
        return self._fallback

    async def hit(self, budget: Budget, key: str) -> Decision:
        item = self._items[budget]
        if self._shared is not None and not self._fallback:
            try:
                decision = await self._decide(self._shared, item, budget, key)
            except Exception as exc:  # any storage failure means "fall back", never a 500
                self._enter_fallback(exc)
            else:
                return self._counted(budget, decision)
        return self._counted(budget, await self._decide(self._memory, item, budget, key))

    async def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()
        if self._pool is not None:
            await self._pool.aclose()

    @staticmethod
    async def _decide(
        strategy: MovingWindowRateLimiter, item: RateLimitItem, budget: Budget, key: str
    ) -> Decision:
        allowed = await strategy.hit(item, budget.value, key)
        stats = await strategy.get_window_stats(item, budget.value, key)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return Decision(allowed, item.amount, max(0, stats.remaining), reset)

    def _counted(self, budget: Budget, decision: Decision) -> Decision:
        if self._metrics is not None:
            outcome = "allowed" if decision.allowed else "limited"
            self._metrics.decisions.labels(budget.value, outcome).inc()
        return decision

    def _enter_fallback(self, error: Exception) -> None:
        if self._metrics is not None:
            self._metrics.storage_errors.inc()
        if self._fallback:
            return
        self._fallback = True
        _log.warning("ratelimit_fallback", error=type(error).__name__, storage="memory")
        if self._metrics is not None:
            self._metrics.fallback.set(1)
        self._probe = asyncio.get_running_loop().create_task(self._probe_until_back())

    async def _probe_until_back(self) -> None:
        assert self._shared_storage is not None
        while True:
            await asyncio.sleep(self._probe_seconds)
            if await self._shared_storage.check():  # PING; False on any error
                break
        self._fallback = False
        self._probe = None
        _log.info("ratelimit_shared_again", storage="redis")
        if self._metrics is not None:
            self._metrics.fallback.set(0)


def rate_limiter(settings: Settings, registry: CollectorRegistry | None = None) -> RateLimiter:
    """The limiter these settings describe (Redis when ``REDIS_URL`` is set)."""
    limits = settings.ratelimit
    return RateLimiter(
        {Budget.READ: limits.read, Budget.WRITE: limits.write, Budget.WEBHOOK: limits.webhook},
        redis_url=settings.redis.url.get_secret_value() if settings.redis.url else None,
        redis_timeout_seconds=limits.redis_timeout_seconds,
        probe_seconds=limits.redis_probe_seconds,
        metrics=RateLimitMetrics(registry) if registry is not None else None,
    )
