"""The plan's automatic rollback triggers, as rules over a stream of samples.

Each rule has a *breach clock*: it starts at the first sample that breaches, stops at the first
sample that does not, and trips once a breach has lasted longer than the rule's window
(health > 2 min, error rate > 5 % for > 1 min, p95 > 3 s for > 1 min by default).

"No data" — a window with fewer than ``min_requests`` requests, or metrics that could not be
read — neither starts, trips nor resets a breach. A quiet minute proves nothing either way:
tripping on it would roll back on silence, and resetting on it would let a failing release
hide behind a lull in traffic. A breach therefore trips at the first sample *with data* that
still breaches once more than the window has passed since the breach began.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from orion.ops.quantile import histogram_quantile
from orion.ops.traffic import TrafficDelta

HEALTH = "health"
ERROR_RATE = "error_rate"
LATENCY = "p95_latency"


@dataclass(frozen=True, slots=True)
class WindowStats:
    """User traffic over the sliding window ending at one sample."""

    requests: float
    errors: float
    p95_seconds: float | None
    observations: float | None = None  # latency observations (None: same as requests)

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests > 0 else None


class SlidingWindow:
    """Sums traffic increments whose scrape time falls in ``(now - seconds, now]``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._items: deque[tuple[float, TrafficDelta]] = deque()

    def add(self, at: float, delta: TrafficDelta) -> WindowStats:
        self._items.append((at, delta))
        while self._items and self._items[0][0] <= at - self.seconds:
            self._items.popleft()
        total = TrafficDelta()
        for _, item in self._items:
            total = total + item
        return WindowStats(
            requests=total.requests,
            errors=total.errors,
            p95_seconds=histogram_quantile(0.95, total.buckets),
            observations=total.observations,
        )


@dataclass(frozen=True, slots=True)
class Thresholds:
    health_window: float = 120.0
    error_window: float = 60.0
    latency_window: float = 60.0
    max_error_rate: float = 0.05
    max_p95_seconds: float = 3.0
    min_requests: int = 20


@dataclass(slots=True)
class BreachClock:
    """How long one rule has been breached; ``None`` observations are "no data"."""

    limit_seconds: float
    since: float | None = None

    def observe(self, at: float, breached: bool | None) -> bool:
        """Record one sample; True when the breach has now lasted longer than the limit."""
        if breached is None:
            return False
        if not breached:
            self.since = None
            return False
        if self.since is None:
            self.since = at
        return at - self.since > self.limit_seconds


@dataclass(frozen=True, slots=True)
class Verdict:
    breached: tuple[str, ...]
    tripped: str | None
    breach_started: float | None


@dataclass(slots=True)
class RuleBook:
    """The three triggers, fed one sample at a time in time order."""

    thresholds: Thresholds
    clocks: dict[str, BreachClock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.thresholds
        self.clocks = {
            HEALTH: BreachClock(t.health_window),
            ERROR_RATE: BreachClock(t.error_window),
            LATENCY: BreachClock(t.latency_window),
        }

    def observations(
        self, healthy: bool | None, stats: WindowStats | None
    ) -> dict[str, bool | None]:
        """Per rule: breached, not breached, or ``None`` (no data)."""
        t = self.thresholds
        error: bool | None = None
        latency: bool | None = None
        if stats is not None:
            rate = stats.error_rate
            if rate is not None and stats.requests >= t.min_requests:
                error = rate > t.max_error_rate
            measured = stats.requests if stats.observations is None else stats.observations
            if stats.p95_seconds is not None and measured >= t.min_requests:
                latency = stats.p95_seconds > t.max_p95_seconds
        health = None if healthy is None else not healthy
        return {HEALTH: health, ERROR_RATE: error, LATENCY: latency}

    def observe(self, at: float, healthy: bool | None, stats: WindowStats | None) -> Verdict:
        observed = self.observations(healthy, stats)
        tripped = None
        for rule, breached in observed.items():
            if self.clocks[rule].observe(at, breached) and tripped is None:
                tripped = rule
        started = self.clocks[tripped].since if tripped else None
        return Verdict(tuple(r for r, b in observed.items() if b), tripped, started)

    def in_progress(self) -> list[str]:
        """Rules whose breach is still running (used to refuse a clean bill of health)."""
        return [rule for rule, clock in self.clocks.items() if clock.since is not None]
