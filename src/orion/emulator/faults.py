"""Deterministic fault injection per provider account, with counters tests can assert on.

A `FaultRule` fires on a fixed schedule (`every` n-th request, the `first` n requests,
or with a `probability` drawn from its own seeded RNG), optionally limited to a path
prefix, a method and a maximum number of faults. Each target (provider + key) keeps its
request count, fault counts, status counts, and a log of every 429 it answered with the
time the same request came back, so a test can check that `Retry-After` was honoured.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

from orion.emulator.ids import seeded_rng

FaultKind = Literal["rate_limit", "server_error", "latency", "reset", "redirect"]
Provider = Literal["stripe", "hubspot"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


@dataclass(frozen=True, slots=True)
class FaultRule:
    kind: FaultKind
    every: int | None = None
    first: int | None = None
    probability: float | None = None
    seed: int = 0
    max_faults: int | None = None
    path_prefix: str | None = None
    method: str | None = None
    retry_after: int = 1
    status: int = 500
    latency_ms: int = 0
    location: str | None = None
    redirect_status: int = 307

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {FAULT_KINDS}")
        schedules = [x for x in (self.every, self.first, self.probability) if x is not None]
        if len(schedules) > 1:
            raise ValueError("give at most one of every, first, probability")
        if self.every is not None and self.every < 1:
            raise ValueError("every must be >= 1")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.kind == "server_error" and not 500 <= self.status <= 599:
            raise ValueError("server_error status must be 5xx")
        if self.kind == "redirect" and self.redirect_status not in (301, 302, 303, 307, 308):
            raise ValueError("redirect_status must be a redirect status")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultRule:
        unknown = set(body) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault rule fields: {sorted(unknown)}")
        return cls(**body)


@dataclass(slots=True)
class _RuleState:
    rule: FaultRule
    rng: random.Random
    seen: int = 0
    fired: int = 0

    def fires(self, method: str, path: str) -> bool:
        rule = self.rule
        if rule.path_prefix is not None and not path.startswith(rule.path_prefix):
            return False
        if rule.method is not None and rule.method.upper() != method.upper():
            return False
        self.seen += 1
        if rule.max_faults is not None and self.fired >= rule.max_faults:
            return False
        if rule.every is not None:
            hit = self.seen % rule.every == 0
        elif rule.first is not None:
            hit = self.seen <= rule.first
        elif rule.probability is not None:
            hit = self.rng.random() < rule.probability
        else:
            hit = True
        if hit:
            self.fired += 1
        return hit


@dataclass(frozen=True, slots=True)
class FaultDecision:
    latency_ms: int = 0
    fault: FaultRule | None = None


@dataclass(slots=True)
class _RateLimitedEntry:
    at: float
    method: str
    path: str
    retry_after: float | None
    retried_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        waited = None if self.retried_at is None else self.retried_at - self.at
        return {
            "at": self.at,
            "method": self.method,
            "path": self.path,
            "retry_after": self.retry_after,
            "retried_at": self.retried_at,
            "waited_seconds": waited,
        }


@dataclass(slots=True)
class FaultPlan:
    """Rules and counters of one target; times are wall-clock `time.time()` seconds."""

    rules: list[_RuleState] = field(default_factory=list)
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    rate_limited: list[_RateLimitedEntry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def decide(self, method: str, path_and_query: str) -> FaultDecision:
        """Count the request, note if it retries an earlier 429, pick the fault (if any)."""
        now = time.time()
        path = path_and_query.partition("?")[0]
        with self.lock:
            self.requests += 1
            for entry in self.rate_limited:
                if (
                    entry.retried_at is None
                    and entry.method == method
                    and entry.path == path_and_query
                ):
                    entry.retried_at = now
            latency = 0
            fault: FaultRule | None = None
            for state in self.rules:
                if not state.fires(method, path):
                    continue
                if state.rule.kind == "latency":
                    latency += state.rule.latency_ms
                    self.faults["latency"] += 1
                elif fault is None:
                    fault = state.rule
                    self.faults[fault.kind] += 1
            return FaultDecision(latency, fault)

    def observe(
        self, method: str, path_and_query: str, status: int | None, retry_after: str | None
    ) -> None:
        """Record the answer (`status` None: the connection was reset)."""
        with self.lock:
            if status is None:
                return
            self.statuses[status] += 1
            if status == 429:
                seconds = float(retry_after) if retry_after else None
                self.rate_limited.append(
                    _RateLimitedEntry(time.time(), method, path_and_query, seconds)
                )

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "faults": {kind: self.faults.get(kind, 0) for kind in FAULT_KINDS},
                "statuses": {str(code): count for code, count in sorted(self.statuses.items())},
                "rate_limited": [entry.to_json() for entry in self.rate_limited],
                "rules": [
                    {**s.rule.to_json(), "seen": s.seen, "fired": s.fired} for s in self.rules
                ],
            }


@dataclass(slots=True)
class TrapHit:
    at: float
    method: str
    path: str

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "method": self.method, "path": self.path}


class FaultRegistry:
    """Fault plans keyed by (provider, account key); plans exist for every target that
    was called, so request counters work without any rule configured."""

    def __init__(self) -> None:
        self._plans: dict[tuple[str, str], FaultPlan] = {}
        self._lock = threading.Lock()
        self._trap_hits: list[TrapHit] = []

    def plan(self, provider: Provider, key: str) -> FaultPlan:
        with self._lock:
            found = self._plans.get((provider, key))
            if found is None:
                found = self._plans[(provider, key)] = FaultPlan()
            return found

    def set_rules(self, provider: Provider, key: str, rules: list[FaultRule]) -> None:
        """Replace the rules (their schedules restart); counters are kept."""
        plan = self.plan(provider, key)
        with plan.lock:
            plan.rules = [_RuleState(rule, seeded_rng(rule.seed)) for rule in rules]

    def reset(self, provider: Provider, key: str) -> None:
        """Drop rules and counters of one target."""
        with self._lock:
            self._plans.pop((provider, key), None)

    def stats(self, provider: Provider, key: str) -> dict[str, Any]:
        return self.plan(provider, key).stats()

    def record_trap_hit(self, method: str, path: str) -> None:
        with self._lock:
            self._trap_hits.append(TrapHit(time.time(), method, path))

    def trap_hits(self) -> list[TrapHit]:
        with self._lock:
            return list(self._trap_hits)
