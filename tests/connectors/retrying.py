"""The caller's retry loop (Temporal's job in production) on a virtual clock.

It retries only classified, retryable errors, waits ``retry_after`` for rate limits and a
short backoff for transient failures, and records every wait, so tests can check that each
failure cost exactly one wait and one request (no tight loop) without sleeping for real.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from orion.connectors.errors import ConnectorError, RateLimited, Transient

T = TypeVar("T")
TRANSIENT_BACKOFF = 0.5


class Retrier:
    def __init__(self, max_attempts: int = 30) -> None:
        self.now = 0.0
        self.max_attempts = max_attempts
        self.waits: list[tuple[type[ConnectorError], float]] = []

    def monotonic(self) -> float:
        """The clock a connector reads to know whether a rate-limit window has passed."""
        return self.now

    async def call(self, attempt: Callable[[], Awaitable[T]]) -> T:
        for _ in range(self.max_attempts):
            try:
                return await attempt()
            except RateLimited as exc:
                wait = exc.retry_after
                self.waits.append((RateLimited, wait))
            except Transient:
                wait = TRANSIENT_BACKOFF
                self.waits.append((Transient, wait))
            self.now += wait  # the virtual sleep
        raise AssertionError(f"no progress after {self.max_attempts} attempts")

    def count(self, kind: type[ConnectorError]) -> int:
        return sum(1 for seen, _ in self.waits if seen is kind)
