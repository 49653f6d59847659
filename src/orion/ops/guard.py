"""``orion guard``: watch a fresh release and roll it back by itself when the plan's triggers fire.

Every ``interval`` it probes health and reads the traffic of the last ``window`` (error rate and
p95 from counter/histogram deltas, or from Prometheus), feeds the three rules
(:mod:`orion.ops.guard_rules`) and records the sample. On a trip it runs the rollback command,
smoke-tests the URL again and stops. The JSON report keeps every sample, so the decision can be
checked afterwards.

Exit codes: 0 the release stayed healthy; 1 a trigger fired (rollback run); 2 the release could
not be judged — the target never answered, metrics were never readable, or a breach was still
running when the watch ended.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orion.ops.guard_rules import RuleBook, Thresholds, Verdict, WindowStats
from orion.ops.guard_sources import HealthResult, MetricsSource, MetricsUnavailable
from orion.ops.steps import StepResult

HEALTHY, ROLLED_BACK, INCONCLUSIVE = 0, 1, 2
OUTCOMES = {HEALTHY: "healthy", ROLLED_BACK: "rolled_back", INCONCLUSIVE: "inconclusive"}


@dataclass(frozen=True, slots=True)
class GuardSettings:
    url: str
    duration: float = 900.0
    interval: float = 10.0
    window: float = 60.0
    health_path: str = "/health/ready"
    thresholds: Thresholds = field(default_factory=Thresholds)
    rollback_command: str | None = None


@dataclass(frozen=True, slots=True)
class GuardTools:
    """Everything the loop touches outside itself, so tests can drive it with a fake clock."""

    health: Callable[[], HealthResult]
    metrics: MetricsSource
    rollback: Callable[[str], StepResult]
    smoke: Callable[[str], StepResult]
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    say: Callable[[str], None] = lambda _line: None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isinf(value) else round(value, digits)


@dataclass(slots=True)
class GuardReport:
    url: str
    settings: dict[str, Any]
    started_at: str = field(default_factory=_now)
    finished_at: str | None = None
    outcome: str = "running"
    exit_code: int | None = None
    trip: dict[str, Any] | None = None
    rollback: dict[str, Any] | None = None
    smoke: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def finish(self, code: int) -> int:
        self.exit_code = code
        self.outcome = OUTCOMES[code]
        self.finished_at = _now()
        return code

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")


class Guard:
    def __init__(self, settings: GuardSettings, tools: GuardTools) -> None:
        self.settings = settings
        self.tools = tools
        self.rules = RuleBook(settings.thresholds)
        self.report = GuardReport(settings.url, _settings_summary(settings))
        self._target_seen = False
        self._metrics_seen = False

    def run(self) -> int:
        """Watch until the duration ends or a trigger fires; returns the exit code."""
        s, tools = self.settings, self.tools
        start = tools.clock()
        tick = 0
        while True:
            at = tools.clock() - start
            verdict = self._sample(at)
            if verdict.tripped:
                return self._roll_back(at, verdict)
            tick += 1
            next_at = tick * s.interval
            if next_at > s.duration:
                break
            tools.sleep(max(0.0, next_at - (tools.clock() - start)))
        return self._conclude()

    def _sample(self, at: float) -> Verdict:
        health = self.tools.health()
        self._target_seen = self._target_seen or health.answered
        stats: WindowStats | None = None
        metrics_error = None
        try:
            stats = self.tools.metrics.read(at)
            self._metrics_seen = True
            metrics_state = _metrics_state(stats, self.settings.thresholds.min_requests)
        except MetricsUnavailable as exc:
            metrics_state, metrics_error = "unavailable", str(exc)
        # Before the target ever answered, a failed probe says nothing about the release.
        healthy = health.ok if self._target_seen else None
        verdict = self.rules.observe(at, healthy, stats)
        entry = {
            "t": round(at, 3),
            "at": _now(),
            "health": {"ok": health.ok, "status": health.status, "error": health.error},
            "metrics": metrics_state,
            "metrics_error": metrics_error,
            "requests": _round(stats.requests, 2) if stats else None,
            "errors": _round(stats.errors, 2) if stats else None,
            "error_rate": _round(stats.error_rate) if stats else None,
            "p95_seconds": _round(stats.p95_seconds) if stats else None,
            "breached": list(verdict.breached),
            "tripped": verdict.tripped,
        }
        self.report.timeline.append(entry)
        self.tools.say(_progress_line(entry))
        return verdict

    def _roll_back(self, at: float, verdict: Verdict) -> int:
        rule = verdict.tripped
        assert rule is not None
        started = _round(verdict.breach_started, 3)
        self.report.trip = {"rule": rule, "at": round(at, 3), "breach_started": started}
        command = self.settings.rollback_command
        self.tools.say(f"guard: {rule} tripped at t={at:.1f}s; rolling back")
        if command:
            result = self.tools.rollback(command)
            self.report.rollback = {"command": command, "started_t": round(at, 3), **asdict(result)}
            if not result.ok:
                self.report.notes.append("the rollback command failed: roll back by hand")
        else:
            self.report.notes.append("no --rollback-command given: nothing was rolled back")
        smoke = self.tools.smoke(self.settings.url)
        self.report.smoke = asdict(smoke)
        if not smoke.ok:
            self.report.notes.append(f"smoke test after rollback failed: {smoke.error}")
        return self.report.finish(ROLLED_BACK)

    def _conclude(self) -> int:
        notes = self.report.notes
        if not self._target_seen:
            notes.append("the target never answered: check the URL and the network")
        if not self._metrics_seen:
            notes.append("metrics were never readable: check --metrics-token / --prometheus")
        running = self.rules.in_progress()
        if running:
            notes.append(f"breach still in progress when the watch ended: {', '.join(running)}")
        if notes:
            return self.report.finish(INCONCLUSIVE)
        return self.report.finish(HEALTHY)


def _metrics_state(stats: WindowStats | None, min_requests: int) -> str:
    """``baseline`` (first scrape), ``no_data`` (too few requests) or ``ok``."""
    if stats is None:
        return "baseline"
    return "ok" if stats.requests >= min_requests else "no_data"


def _settings_summary(settings: GuardSettings) -> dict[str, Any]:
    summary = asdict(settings)
    summary.pop("url")
    return summary


def _progress_line(entry: dict[str, Any]) -> str:
    health = entry["health"]
    status = health["status"] if health["status"] is not None else health["error"]
    rate = "-" if entry["error_rate"] is None else f"{entry['error_rate']:.1%}"
    p95 = "-" if entry["p95_seconds"] is None else f"{entry['p95_seconds']:.2f}s"
    breached = ",".join(entry["breached"]) or "none"
    return (
        f"guard t={entry['t']:>7.1f}s health={status} metrics={entry['metrics']} "
        f"requests={entry['requests']} error_rate={rate} p95={p95} breached={breached}"
    )
