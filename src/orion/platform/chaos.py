"""Fault injection for rollback drills: ``CHAOS_ERROR_RATE`` and ``CHAOS_LATENCY_SECONDS``.

A rollback trigger that has never fired is a guess. This middleware turns a healthy build into
a "faulty release" on demand so the drill can prove that ``orion guard`` notices and rolls back.

It sits *inside* the request-metrics middleware, so injected errors and delays are counted
exactly like real ones, and it never touches ``/health``, ``/health/*`` or ``/metrics``: the
platform keeps routing traffic to the release (health passes) while users see the damage, which
is the failure the guard exists to catch. Failures are deterministic, not random: with a rate of
``p/q`` (reduced), exactly ``p`` of every ``q`` consecutive requests fail, evenly spread, so a
drill behaves the same on every run. Production refuses both settings (config_rules).
"""

from __future__ import annotations

import asyncio
from fractions import Fraction

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from orion.platform.errors import error_response
from orion.platform.request_context import current_request_id

_log = structlog.get_logger("orion.chaos")
_MAX_DENOMINATOR = 10_000


def is_exempt(path: str) -> bool:
    """Health and metrics endpoints: what the platform and the guard look at to judge a release."""
    return path in ("/health", "/metrics") or path.startswith("/health/")


class FailureSchedule:
    """Decides which request fails: request ``n`` fails when ``floor(n * rate)`` steps up."""

    def __init__(self, rate: float) -> None:
        fraction = Fraction(rate).limit_denominator(_MAX_DENOMINATOR)
        self._numerator = fraction.numerator
        self._denominator = fraction.denominator
        self._count = 0

    def next_fails(self) -> bool:
        before = self._count * self._numerator // self._denominator
        self._count += 1
        return self._count * self._numerator // self._denominator > before


class ChaosMiddleware:
    """Adds latency and answers a deterministic fraction of API requests with a JSON 500."""

    def __init__(self, app: ASGIApp, *, error_rate: float, latency_seconds: float) -> None:
        self.app = app
        self.latency_seconds = latency_seconds
        self._schedule = FailureSchedule(error_rate)
        _log.warning("chaos_enabled", error_rate=error_rate, latency_seconds=latency_seconds)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.latency_seconds > 0:
            await asyncio.sleep(self.latency_seconds)
        if self._schedule.next_fails():
            response = error_response(
                500, "chaos_injected", "Injected failure (CHAOS_ERROR_RATE).", current_request_id()
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
