"""The rollback triggers and the guard loop, driven by a fake clock (no network, no sleeping)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest

from orion.ops.guard import HEALTHY, INCONCLUSIVE, ROLLED_BACK, Guard, GuardSettings, GuardTools
from orion.ops.guard_rules import (
    ERROR_RATE,
    HEALTH,
    LATENCY,
    BreachClock,
    RuleBook,
    SlidingWindow,
    Thresholds,
    WindowStats,
)
from orion.ops.guard_sources import HealthResult, MetricsUnavailable
from orion.ops.steps import StepResult
from orion.ops.traffic import TrafficDelta

INF = math.inf
OK = HealthResult(ok=True, status=200)
DOWN = HealthResult(ok=False, status=503, error="HTTP 503")
UNREACHABLE = HealthResult(ok=False, error="ConnectError")


def stats(requests: float, errors: float = 0, p95: float | None = 0.1) -> WindowStats:
    return WindowStats(requests, errors, p95)


# --- breach clock --------------------------------------------------------------------------


def test_breach_trips_only_after_lasting_longer_than_the_window() -> None:
    clock = BreachClock(60)
    assert [clock.observe(t, True) for t in (0, 30, 60)] == [False, False, False]
    assert clock.observe(61, True) is True


def test_a_good_sample_resets_the_breach() -> None:
    clock = BreachClock(60)
    clock.observe(0, True)
    clock.observe(50, False)
    assert clock.observe(100, True) is False  # the breach restarted at 100
    assert clock.observe(161, True) is True


def test_no_data_neither_starts_resets_nor_trips() -> None:
    clock = BreachClock(60)
    assert clock.observe(0, None) is False and clock.since is None
    clock.observe(10, True)
    assert clock.observe(100, None) is False  # silence: no trip on its own...
    assert clock.since == 10  # ...and no reset
    assert clock.observe(101, True) is True  # the next sample with data trips


# --- rules ---------------------------------------------------------------------------------


def test_error_rate_and_latency_need_min_requests() -> None:
    rules = RuleBook(Thresholds(min_requests=20))
    assert rules.observations(True, stats(19, errors=19, p95=9)) == {
        HEALTH: False,
        ERROR_RATE: None,
        LATENCY: None,
    }
    assert rules.observations(True, stats(20, errors=2, p95=3.5)) == {
        HEALTH: False,
        ERROR_RATE: True,  # 10 % > 5 %
        LATENCY: True,  # 3.5 s > 3 s
    }
    assert rules.observations(None, None) == {HEALTH: None, ERROR_RATE: None, LATENCY: None}


def test_thresholds_are_strictly_greater_than() -> None:
    rules = RuleBook(Thresholds(min_requests=1))
    assert rules.observations(True, stats(100, errors=5, p95=3.0))[ERROR_RATE] is False
    assert rules.observations(True, stats(100, errors=5, p95=3.0))[LATENCY] is False


def test_sliding_window_forgets_old_traffic() -> None:
    window = SlidingWindow(60)
    window.add(0, TrafficDelta(10, 10, {1.0: 10, INF: 10}))
    recent = window.add(30, TrafficDelta(10, 0, {1.0: 10, INF: 10}))
    assert (recent.requests, recent.errors) == (20, 10)
    later = window.add(61, TrafficDelta(10, 0, {1.0: 10, INF: 10}))
    assert (later.requests, later.errors, later.observations) == (20, 0, 20)


# --- the loop ------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ScriptedMetrics:
    """Window stats as a function of time; raising ``MetricsUnavailable`` when told to."""

    def __init__(self, at: Callable[[float], WindowStats | Exception | None]) -> None:
        self.at = at

    def read(self, at: float) -> WindowStats | None:
        value = self.at(at)
        if isinstance(value, Exception):
            raise value
        return value


def make_guard(
    health: Callable[[float], HealthResult],
    metrics: Callable[[float], WindowStats | Exception | None],
    *,
    duration: float = 300,
    rollback_ok: bool = True,
    rollback_command: str | None = "scripts/deploy/rollback.sh production",
) -> tuple[Guard, list[str]]:
    clock = FakeClock()
    calls: list[str] = []

    def rollback(command: str) -> StepResult:
        calls.append(f"rollback:{command}")
        return StepResult(rollback_ok, 0 if rollback_ok else 1, 1.0)

    def smoke(url: str) -> StepResult:
        calls.append(f"smoke:{url}")
        return StepResult(True, 0, 1.0)

    tools = GuardTools(
        health=lambda: health(clock.now),
        metrics=ScriptedMetrics(metrics),
        rollback=rollback,
        smoke=smoke,
        clock=clock,
        sleep=clock.sleep,
    )
    settings = GuardSettings(
        url="https://api.example",
        duration=duration,
        interval=10,
        rollback_command=rollback_command,
    )
    return Guard(settings, tools), calls


def test_healthy_release_exits_0_with_a_full_timeline() -> None:
    guard, calls = make_guard(lambda _t: OK, lambda t: None if t == 0 else stats(100, 1))
    assert guard.run() == HEALTHY
    assert calls == []
    assert len(guard.report.timeline) == 31  # t = 0, 10, ..., 300
    assert guard.report.outcome == "healthy"


def test_error_rate_over_5_percent_for_over_a_minute_rolls_back() -> None:
    guard, calls = make_guard(lambda _t: OK, lambda t: stats(100, errors=10 if t >= 50 else 0))
    assert guard.run() == ROLLED_BACK
    assert guard.report.trip == {"rule": ERROR_RATE, "at": 120.0, "breach_started": 50.0}
    assert calls == ["rollback:scripts/deploy/rollback.sh production", "smoke:https://api.example"]
    assert guard.report.timeline[-1]["tripped"] == ERROR_RATE
    assert guard.report.timeline[5]["breached"] == [ERROR_RATE]


def test_slow_p95_rolls_back() -> None:
    guard, _ = make_guard(lambda _t: OK, lambda _t: stats(100, p95=3.5))
    assert guard.run() == ROLLED_BACK
    assert guard.report.trip is not None and guard.report.trip["rule"] == LATENCY


def test_health_failing_for_over_two_minutes_rolls_back() -> None:
    guard, _ = make_guard(lambda t: DOWN if t >= 20 else OK, lambda _t: stats(0))
    assert guard.run() == ROLLED_BACK
    assert guard.report.trip == {"rule": HEALTH, "at": 150.0, "breach_started": 20.0}


def test_low_traffic_is_no_data_and_does_not_roll_back() -> None:
    guard, calls = make_guard(lambda _t: OK, lambda _t: stats(5, errors=5, p95=10))
    assert guard.run() == HEALTHY
    assert calls == []
    assert {entry["metrics"] for entry in guard.report.timeline} == {"no_data"}
    assert all(entry["breached"] == [] for entry in guard.report.timeline)


def test_unreachable_target_is_inconclusive_not_a_rollback() -> None:
    guard, calls = make_guard(
        lambda _t: UNREACHABLE, lambda _t: MetricsUnavailable("ConnectError"), duration=600
    )
    assert guard.run() == INCONCLUSIVE
    assert calls == []
    assert any("never answered" in note for note in guard.report.notes)
    assert all(entry["metrics"] == "unavailable" for entry in guard.report.timeline)


def test_metrics_never_readable_is_inconclusive() -> None:
    guard, _ = make_guard(lambda _t: OK, lambda _t: MetricsUnavailable("HTTP 401"))
    assert guard.run() == INCONCLUSIVE
    assert any("metrics were never readable" in note for note in guard.report.notes)


def test_a_breach_still_running_at_the_end_is_inconclusive() -> None:
    guard, _ = make_guard(lambda _t: OK, lambda t: stats(100, errors=50 if t >= 280 else 0))
    assert guard.run() == INCONCLUSIVE
    assert any(ERROR_RATE in note for note in guard.report.notes)


def test_a_failed_rollback_is_reported(tmp_path: Path) -> None:
    guard, _ = make_guard(lambda _t: OK, lambda _t: stats(100, 50), rollback_ok=False)
    assert guard.run() == ROLLED_BACK
    guard.report.write(tmp_path / "report.json")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["rollback"]["ok"] is False
    assert any("roll back by hand" in note for note in report["notes"])
    assert report["settings"]["thresholds"]["max_error_rate"] == 0.05


def test_without_a_rollback_command_the_trip_is_still_exit_1() -> None:
    guard, calls = make_guard(lambda _t: OK, lambda _t: stats(100, 50), rollback_command=None)
    assert guard.run() == ROLLED_BACK
    assert calls == ["smoke:https://api.example"]
    assert any("nothing was rolled back" in note for note in guard.report.notes)


@pytest.mark.parametrize("interval", [7.0, 10.0, 30.0])
def test_samples_are_taken_on_schedule(interval: float) -> None:
    clock = FakeClock()
    seen: list[float] = []

    def health() -> HealthResult:
        seen.append(clock.now)
        clock.now += 1.5  # a slow probe must not make the schedule drift
        return OK

    tools = GuardTools(
        health=health,
        metrics=ScriptedMetrics(lambda _t: None),
        rollback=lambda _c: StepResult(True, 0, 0),
        smoke=lambda _u: StepResult(True, 0, 0),
        clock=clock,
        sleep=clock.sleep,
    )
    Guard(GuardSettings("https://x", duration=60, interval=interval), tools).run()
    assert seen == [i * interval for i in range(int(60 // interval) + 1)]
