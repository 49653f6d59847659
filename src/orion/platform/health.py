"""Readiness that tells the truth: every dependency probed, in parallel, within a deadline.

``GET /health/ready`` (terse, for the platform's load balancer) and ``GET /health/detailed``
(for people and uptime monitors) answer ``application/health+json`` shaped like the IETF
health-check draft (draft-inadarei-api-health-check): ``status`` pass/warn/fail, ``version``,
``releaseId`` and ``checks`` keyed ``component:measurement`` (``postgres:responseTime``).

- Dependencies are probed concurrently, each with its own timeout (``HEALTH_TIMEOUT_SECONDS``).
  A probe still running at its deadline is cancelled and *not awaited*, so a dependency that
  accepts connections and never answers cannot hold the endpoint past the timeout.
- A required dependency down (Postgres, Temporal) is ``fail`` and 503: this instance cannot do
  its work, so the load balancer should send traffic elsewhere. An optional one (Redis: rate
  limits fall back to per-instance memory) is ``warn`` with 200.
- A result is reused for ``HEALTH_CACHE_SECONDS`` and concurrent callers share the one check in
  flight, so a storm of health checks costs each dependency one probe per period.
- Outside development a failure is named by kind ("timeout", "unavailable"), never by its
  exception text, which can carry host names or a DSN.
- While the process drains for shutdown (:mod:`orion.platform.shutdown`) readiness answers 503
  at once, without probing anything.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from orion.platform.liveness import HEALTH_MEDIA_TYPE
from orion.platform.shutdown import DrainState

Status = Literal["pass", "warn", "fail"]
Probe = Callable[[], Awaitable[None]]
_NO_STORE = {"Cache-Control": "no-store"}


def _no_note() -> str | None:
    return None


@dataclass(frozen=True)
class Dependency:
    """One thing readiness depends on. ``probe=None`` means it is not configured here."""

    component: str
    component_type: str
    required: bool
    probe: Probe | None
    #: Consulted when the probe passes: a non-empty text turns the result into ``warn``.
    note: Callable[[], str | None] = field(default=_no_note)


@dataclass(frozen=True)
class CheckResult:
    component: str
    component_type: str
    status: Status
    observed_ms: float | None
    time: str
    output: str | None = None

    def as_json(self, *, terse: bool) -> dict[str, Any]:
        if terse:
            return {"status": self.status}
        body: dict[str, Any] = {"componentType": self.component_type}
        if self.observed_ms is not None:
            body.update(observedValue=self.observed_ms, observedUnit="ms")
        body.update(status=self.status, time=self.time)
        if self.output:
            body["output"] = self.output
        return body


@dataclass(frozen=True)
class HealthReport:
    status: Status
    checks: tuple[CheckResult, ...]
    completed_at: float

    def checks_json(self, *, terse: bool) -> dict[str, list[dict[str, Any]]]:
        return {f"{c.component}:responseTime": [c.as_json(terse=terse)] for c in self.checks}


def overall_status(checks: Sequence[CheckResult]) -> Status:
    statuses = {check.status for check in checks}
    if "fail" in statuses:
        return "fail"
    return "warn" if "warn" in statuses else "pass"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _forget(task: asyncio.Future[None]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so an abandoned probe never logs "never retrieved"


class HealthMonitor:
    """Runs the probes; one shared, cached result per ``cache_seconds``."""

    def __init__(
        self,
        dependencies: Callable[[], Sequence[Dependency]],
        *,
        timeout_seconds: float,
        cache_seconds: float,
        expose_errors: bool,
    ) -> None:
        self._dependencies = dependencies
        self.timeout_seconds = timeout_seconds
        self.cache_seconds = cache_seconds
        self.expose_errors = expose_errors
        self._cached: HealthReport | None = None
        self._inflight: asyncio.Task[HealthReport] | None = None

    async def report(self) -> HealthReport:
        cached = self._cached
        if cached is not None and time.monotonic() - cached.completed_at < self.cache_seconds:
            return cached
        if self._inflight is None:
            self._inflight = asyncio.create_task(self._refresh())
        # shield: a caller that goes away must not cancel the check the others wait for
        return await asyncio.shield(self._inflight)

    async def _refresh(self) -> HealthReport:
        try:
            dependencies = self._dependencies()
            results = await asyncio.gather(*(self._check(d) for d in dependencies))
            report = HealthReport(overall_status(results), tuple(results), time.monotonic())
            self._cached = report
            return report
        finally:
            self._inflight = None

    async def _check(self, dependency: Dependency) -> CheckResult:
        stamp = _now()
        if dependency.probe is None:
            status: Status = "fail" if dependency.required else "warn"
            return self._result(dependency, status, None, stamp, "not configured")
        started = time.perf_counter()
        task = asyncio.ensure_future(dependency.probe())
        done, _ = await asyncio.wait({task}, timeout=self.timeout_seconds)
        elapsed = round((time.perf_counter() - started) * 1000, 2)
        failed: Status = "fail" if dependency.required else "warn"
        if not done:
            task.cancel()
            task.add_done_callback(_forget)
            return self._result(dependency, failed, elapsed, stamp, "timeout")
        error = task.exception()
        if error is not None:
            output = "unavailable"
            if self.expose_errors:
                output = f"unavailable: {type(error).__name__}: {error}"
            return self._result(dependency, failed, elapsed, stamp, output)
        note = dependency.note()
        return self._result(dependency, "warn" if note else "pass", elapsed, stamp, note)

    @staticmethod
    def _result(
        dependency: Dependency, status: Status, ms: float | None, stamp: str, output: str | None
    ) -> CheckResult:
        return CheckResult(
            dependency.component, dependency.component_type, status, ms, stamp, output
        )


def _answer(body: dict[str, Any], status: Status) -> JSONResponse:
    code = 503 if status == "fail" else 200
    return JSONResponse(body, status_code=code, media_type=HEALTH_MEDIA_TYPE, headers=_NO_STORE)


def health_router(
    monitor: HealthMonitor, drain: DrainState, *, version: str, release_id: str
) -> APIRouter:
    """``/health/ready`` and ``/health/detailed`` (``/health`` itself is liveness)."""
    router = APIRouter(tags=["health"])
    identity = {"version": version, "releaseId": release_id}

    @router.get("/health/ready", summary="Readiness (terse)", response_class=JSONResponse)
    async def ready() -> JSONResponse:
        if drain.draining:
            return _answer({"status": "fail", **identity, "output": "draining"}, "fail")
        report = await monitor.report()
        body = {"status": report.status, **identity, "checks": report.checks_json(terse=True)}
        return _answer(body, report.status)

    @router.get(
        "/health/detailed", summary="Readiness with every check", response_class=JSONResponse
    )
    async def detailed() -> JSONResponse:
        report = await monitor.report()
        status: Status = "fail" if drain.draining else report.status
        body: dict[str, Any] = {"status": status, **identity}
        if drain.draining:
            body["output"] = "draining"
        body["checks"] = report.checks_json(terse=False)
        return _answer(body, status)

    return router
