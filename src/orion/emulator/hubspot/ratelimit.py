"""HubSpot's request limits for one portal: a rolling burst window, a daily quota and
the separate search limit (about 5 requests per second per account).

Windows are measured on the portal's `Clock`, so tests can make a limit trip
deterministically (a long window) or reset it (advance the clock) without sleeping.

A disabled limit (0) sends no headers at all, as HubSpot does for a limit an app does not
have (OAuth apps get no `X-HubSpot-RateLimit-Daily*`): `Max: 0` / `Remaining: 0` would tell
a client the window is used up.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from orion.emulator.clock import Clock

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Defaults are HubSpot's published private-app limits (Professional tier).
    A limit of 0 disables that check and its headers."""

    burst_max: int = 190
    burst_interval_ms: int = 10_000
    daily_max: int = 1_000_000
    search_max: int = 5
    search_interval_ms: int = 1_000

    def to_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RateLimits:
        """Fields left out keep their default; null disables a limit like 0."""
        known = cls.__dataclass_fields__
        unknown = set(body) - set(known)
        if unknown:
            raise ValueError(f"unknown rate limit fields: {sorted(unknown)}")
        return cls(**{key: int(value or 0) for key, value in body.items()})


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    policy: str | None
    headers: dict[str, str]


class RateLimiter:
    def __init__(self, limits: RateLimits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._burst: deque[int] = deque()
        self._search: deque[int] = deque()
        self._day = -1
        self._daily_used = 0

    def configure(self, limits: RateLimits) -> None:
        with self._lock:
            self.limits = limits
            self._burst.clear()
            self._search.clear()

    @staticmethod
    def _trim(window: deque[int], now: int, interval: int) -> None:
        while window and window[0] <= now - interval:
            window.popleft()

    def check(self, *, search: bool) -> RateDecision:
        """Count one request if it is within every limit; say which policy refused it."""
        limits = self.limits
        with self._lock:
            now = self._clock.now_ms()
            if now // DAY_MS != self._day:
                self._day, self._daily_used = now // DAY_MS, 0
            self._trim(self._burst, now, limits.burst_interval_ms)
            self._trim(self._search, now, limits.search_interval_ms)
            policy: str | None = None
            if limits.daily_max and self._daily_used >= limits.daily_max:
                policy = "DAILY"
            elif limits.burst_max and len(self._burst) >= limits.burst_max:
                policy = "TEN_SECONDLY_ROLLING"
            elif search and limits.search_max and len(self._search) >= limits.search_max:
                policy = "SECONDLY"
            if policy is None:
                self._daily_used += 1
                self._burst.append(now)
                if search:
                    self._search.append(now)
            return RateDecision(policy is None, policy, self._headers())

    def headers(self) -> dict[str, str]:
        """The current `X-HubSpot-RateLimit-*` values without counting a request."""
        with self._lock:
            return self._headers()

    def _headers(self) -> dict[str, str]:
        limits = self.limits
        headers: dict[str, str] = {}
        if limits.daily_max:
            used = self._daily_used
            headers["X-HubSpot-RateLimit-Daily"] = str(limits.daily_max)
            headers["X-HubSpot-RateLimit-Daily-Remaining"] = str(max(limits.daily_max - used, 0))
        if limits.burst_max:
            remaining = max(limits.burst_max - len(self._burst), 0)
            headers["X-HubSpot-RateLimit-Interval-Milliseconds"] = str(limits.burst_interval_ms)
            headers["X-HubSpot-RateLimit-Max"] = str(limits.burst_max)
            headers["X-HubSpot-RateLimit-Remaining"] = str(remaining)
        return headers
