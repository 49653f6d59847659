"""Reading ``/metrics``: exposition round trips, traffic deltas and counter resets."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, generate_latest

from orion.ops.prometheus_text import MetricsFormatError, parse_samples
from orion.ops.traffic import TrafficSnapshot, traffic_between
from orion.platform.metrics import HttpMetrics, new_registry


def exposition(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def snapshot(registry: CollectorRegistry) -> TrafficSnapshot:
    return TrafficSnapshot.from_samples(parse_samples(exposition(registry)))


label_values = st.text(min_size=0, max_size=20)  # quotes, backslashes, newlines, unicode


@given(st.dictionaries(st.tuples(label_values, label_values), st.integers(1, 10**6), max_size=8))
def test_counter_values_and_labels_round_trip(series: dict[tuple[str, str], int]) -> None:
    registry = new_registry()
    counter = Counter("things", "Things.", ["route", "status"], registry=registry)
    for (route, status), amount in series.items():
        counter.labels(route, status).inc(amount)
    parsed = {
        (s.label("route"), s.label("status")): s.value
        for s in parse_samples(exposition(registry))
        if s.name == "things_total"
    }
    assert parsed == {key: float(value) for key, value in series.items()}


@given(st.lists(st.floats(min_value=0, max_value=60, allow_nan=False), max_size=60))
def test_histogram_buckets_round_trip(durations: list[float]) -> None:
    registry = new_registry()
    metrics = HttpMetrics(registry)
    for seconds in durations:
        metrics.observe("GET", "/api/v1/customers", 200, seconds)
    delta = traffic_between(TrafficSnapshot({}, {}), snapshot(registry))
    assert delta.observations == len(durations)
    for bound, count in delta.buckets.items():
        assert count == sum(1 for d in durations if d <= bound)


def test_malformed_text_is_a_format_error() -> None:
    with pytest.raises(MetricsFormatError):
        parse_samples('http_requests_total{route="/a" 1\n')


def test_traffic_counts_requests_and_5xx_but_not_the_guards_own_calls() -> None:
    registry = new_registry()
    metrics = HttpMetrics(registry)
    before = snapshot(registry)
    for status in (200, 200, 404, 500, 503):
        metrics.observe("GET", "/api/v1/customers", status, 0.1)
    metrics.observe("GET", "/health/ready", 503, 0.01)
    metrics.observe("GET", "/metrics", 200, 0.01)
    delta = traffic_between(before, snapshot(registry))
    assert (delta.requests, delta.errors, delta.observations) == (5, 2, 5)


def test_a_new_series_between_scrapes_counts_fully() -> None:
    registry = new_registry()
    metrics = HttpMetrics(registry)
    metrics.observe("GET", "/a", 200, 0.1)
    before = snapshot(registry)
    metrics.observe("GET", "/a", 500, 0.1)  # first 500 ever: its series is born now
    assert traffic_between(before, snapshot(registry)).errors == 1


def test_a_process_restart_is_a_reset_not_negative_traffic() -> None:
    process_a = new_registry()
    a = HttpMetrics(process_a)
    for _ in range(10):
        a.observe("GET", "/a", 200, 0.1)
    before = snapshot(process_a)
    process_b = new_registry()  # restarted process: counters from zero, new _created
    b = HttpMetrics(process_b)
    for _ in range(3):
        b.observe("GET", "/a", 500, 0.1)
    b.observe("GET", "/a", 200, 0.1)
    delta = traffic_between(before, snapshot(process_b))
    assert (delta.requests, delta.errors, delta.observations) == (4, 3, 4)


def test_a_restart_that_overtakes_the_old_count_is_caught_by_created() -> None:
    series = 'method="GET",route="/a",status="200"'

    def scrape(value: int, created: float) -> TrafficSnapshot:
        text = (
            f"# TYPE http_requests counter\nhttp_requests_total{{{series}}} {value}\n"
            f"http_requests_created{{{series}}} {created}\n"
        )
        return TrafficSnapshot.from_samples(parse_samples(text))

    # 2 requests before the restart, 5 after: the value went *up*, only _created tells.
    assert traffic_between(scrape(2, 1000.0), scrape(5, 2000.0)).requests == 5
    assert traffic_between(scrape(2, 1000.0), scrape(5, 1000.0)).requests == 3


counts = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=30)


@given(counts, st.sets(st.integers(min_value=1, max_value=29)))
def test_summed_deltas_equal_true_traffic_across_resets(
    increments: list[int], restarts: set[int]
) -> None:
    """Counter value per scrape, restarting to zero at some scrapes: deltas add up exactly."""
    values: list[float] = []
    current = 0.0
    for i, amount in enumerate(increments):
        if i in restarts:
            current = 0.0
        current += amount
        values.append(current)
    # A reset is only visible when the new value is below the old one (as for Prometheus).
    for i in restarts:
        if 0 < i < len(values):
            assume(values[i] < values[i - 1])

    def scrape(value: float) -> TrafficSnapshot:
        text = (
            "# TYPE http_requests counter\n"
            f'http_requests_total{{method="GET",route="/a",status="200"}} {value}\n'
        )
        return TrafficSnapshot.from_samples(parse_samples(text))

    total = sum(
        traffic_between(scrape(values[i - 1]), scrape(values[i])).requests
        for i in range(1, len(values))
    )
    assert total == sum(increments[1:])
    assert not math.isnan(total)
