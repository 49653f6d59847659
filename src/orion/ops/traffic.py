"""User traffic seen in two scrapes of ``/metrics``: requests, 5xx and latency buckets between them.

Counters only ever grow inside one process, so the traffic between two scrapes is their
difference, series by series. A process restart (deploy, crash, scale event) starts every
series again from zero: a changed ``_created`` timestamp, or a value that went down, marks such
a reset, and then the new value *is* the increase, exactly as Prometheus' ``increase()`` treats
it. The guard's own requests (``/health*``, ``/metrics``) are not user traffic and are left out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from orion.ops.prometheus_text import Labels, Sample

REQUESTS_TOTAL = "http_requests_total"
REQUESTS_CREATED = "http_requests_created"
DURATION_BUCKET = "http_request_duration_seconds_bucket"
DURATION_CREATED = "http_request_duration_seconds_created"
#: Routes the guard itself calls; Prometheus-mode queries exclude the same ones.
GUARD_ROUTES = re.compile(r"^/(health|metrics)(/.*)?$")


@dataclass(frozen=True, slots=True)
class Series:
    value: float
    created: float | None = None


@dataclass(frozen=True, slots=True)
class Histogram:
    buckets: Mapping[float, float]
    created: float | None = None


@dataclass(frozen=True, slots=True)
class TrafficSnapshot:
    """Cumulative counters of one scrape, keyed by label set."""

    requests: Mapping[Labels, Series]
    histograms: Mapping[Labels, Histogram]

    @classmethod
    def from_samples(cls, samples: Iterable[Sample]) -> TrafficSnapshot:
        counts: dict[Labels, float] = {}
        counts_created: dict[Labels, float] = {}
        buckets: dict[Labels, dict[float, float]] = {}
        buckets_created: dict[Labels, float] = {}
        for sample in samples:
            if GUARD_ROUTES.match(sample.label("route") or ""):
                continue
            if sample.name == REQUESTS_TOTAL:
                counts[sample.labels] = sample.value
            elif sample.name == REQUESTS_CREATED:
                counts_created[sample.labels] = sample.value
            elif sample.name == DURATION_BUCKET:
                key = tuple(pair for pair in sample.labels if pair[0] != "le")
                buckets.setdefault(key, {})[_bound(sample.label("le"))] = sample.value
            elif sample.name == DURATION_CREATED:
                buckets_created[sample.labels] = sample.value
        return cls(
            requests={k: Series(v, counts_created.get(k)) for k, v in counts.items()},
            histograms={k: Histogram(v, buckets_created.get(k)) for k, v in buckets.items()},
        )


@dataclass(frozen=True, slots=True)
class TrafficDelta:
    """User traffic over an interval: request and 5xx counts, latency bucket increases."""

    requests: float = 0.0
    errors: float = 0.0
    buckets: Mapping[float, float] = field(default_factory=dict)

    def __add__(self, other: TrafficDelta) -> TrafficDelta:
        merged = dict(self.buckets)
        for bound, count in other.buckets.items():
            merged[bound] = merged.get(bound, 0.0) + count
        return TrafficDelta(self.requests + other.requests, self.errors + other.errors, merged)

    @property
    def observations(self) -> float:
        return self.buckets.get(math.inf, 0.0)


def _bound(le: str | None) -> float:
    return math.inf if le in (None, "+Inf", "Inf") else float(le)


def _restarted(before: float | None, after: float | None) -> bool:
    return before is not None and after is not None and before != after


def _increase(before: Series | None, after: Series) -> float:
    if before is None:  # a series born since the last scrape: all of it is new traffic
        return after.value
    if _restarted(before.created, after.created) or after.value < before.value:
        return after.value
    return after.value - before.value


def _bucket_increase(before: Histogram | None, after: Histogram) -> dict[float, float]:
    if before is None or _restarted(before.created, after.created):
        return dict(after.buckets)
    if any(count < before.buckets.get(bound, 0.0) for bound, count in after.buckets.items()):
        return dict(after.buckets)
    return {bound: count - before.buckets.get(bound, 0.0) for bound, count in after.buckets.items()}


def _is_error(labels: Labels) -> bool:
    return any(key == "status" and value.startswith("5") for key, value in labels)


def traffic_between(before: TrafficSnapshot, after: TrafficSnapshot) -> TrafficDelta:
    """What happened between two scrapes of the same process (resets handled per series)."""
    requests = errors = 0.0
    for labels, series in after.requests.items():
        increase = _increase(before.requests.get(labels), series)
        requests += increase
        if _is_error(labels):
            errors += increase
    buckets: dict[float, float] = {}
    for labels, histogram in after.histograms.items():
        for bound, count in _bucket_increase(before.histograms.get(labels), histogram).items():
            buckets[bound] = buckets.get(bound, 0.0) + count
    return TrafficDelta(requests, errors, buckets)
