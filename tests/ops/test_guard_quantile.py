"""``histogram_quantile``: Prometheus' interpolation, checked on examples and on random data."""

from __future__ import annotations

import bisect
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orion.ops.quantile import histogram_quantile
from orion.platform.metrics import DURATION_BUCKETS

INF = math.inf


def cumulative(observations: list[float], bounds: tuple[float, ...]) -> dict[float, float]:
    """Bucket raw observations the way a Prometheus histogram does (``le`` is inclusive)."""
    return {b: float(sum(1 for o in observations if o <= b)) for b in (*bounds, INF)}


def test_interpolates_linearly_inside_the_bucket() -> None:
    # 10 observations in (0, 1], 10 in (1, 2]: rank 0.5*20 = 10 is the end of the first bucket.
    buckets = {1.0: 10.0, 2.0: 20.0, INF: 20.0}
    assert histogram_quantile(0.5, buckets) == pytest.approx(1.0)
    assert histogram_quantile(0.75, buckets) == pytest.approx(1.5)
    assert histogram_quantile(0.25, buckets) == pytest.approx(0.5)


def test_rank_in_the_inf_bucket_answers_the_highest_finite_bound() -> None:
    assert histogram_quantile(0.95, {1.0: 1.0, 3.0: 2.0, INF: 10.0}) == 3.0


def test_no_observations_or_no_inf_bucket_is_no_answer() -> None:
    assert histogram_quantile(0.95, {1.0: 0.0, INF: 0.0}) is None
    assert histogram_quantile(0.95, {1.0: 5.0, 2.0: 5.0}) is None
    assert histogram_quantile(0.95, {}) is None
    assert histogram_quantile(math.nan, {1.0: 1.0, INF: 1.0}) is None


def test_out_of_range_quantiles_follow_prometheus() -> None:
    buckets = {1.0: 1.0, INF: 1.0}
    assert histogram_quantile(-0.1, buckets) == -INF
    assert histogram_quantile(1.1, buckets) == INF


def test_non_monotonic_buckets_are_repaired() -> None:
    # A scrape taken mid-update can show a lower count in a higher bucket.
    assert histogram_quantile(0.5, {1.0: 10.0, 2.0: 8.0, INF: 10.0}) == pytest.approx(0.5)


def test_a_first_bucket_at_or_below_zero_answers_its_bound() -> None:
    assert histogram_quantile(0.5, {0.0: 4.0, 1.0: 4.0, INF: 4.0}) == 0.0


def test_p95_of_slow_requests_crosses_the_rollback_threshold() -> None:
    fast = [0.05] * 90
    slow = [4.0] * 10  # 10 % of requests over 3 s: p95 must be above 3 s
    p95 = histogram_quantile(0.95, cumulative(fast + slow, DURATION_BUCKETS))
    assert p95 is not None and p95 > 3.0


observations = st.lists(
    st.floats(min_value=0.0001, max_value=40.0, allow_nan=False), min_size=1, max_size=200
)
quantiles = st.floats(min_value=0.01, max_value=1.0)


@given(observations, quantiles)
def test_result_lies_in_the_bucket_of_the_true_quantile(values: list[float], q: float) -> None:
    bounds = DURATION_BUCKETS
    result = histogram_quantile(q, cumulative(values, bounds))
    assert result is not None
    ordered = sorted(values)
    true_value = ordered[max(0, math.ceil(q * len(ordered)) - 1)]
    index = bisect.bisect_left(bounds, true_value)  # bucket holding the true quantile
    if index == len(bounds):  # above every finite bound: Prometheus answers the highest one
        assert result == bounds[-1]
    else:
        lower = bounds[index - 1] if index else 0.0
        assert lower - 1e-9 <= result <= bounds[index] + 1e-9


@given(observations, quantiles, quantiles)
def test_monotonic_in_q(values: list[float], q1: float, q2: float) -> None:
    buckets = cumulative(values, DURATION_BUCKETS)
    low, high = sorted((q1, q2))
    first, second = histogram_quantile(low, buckets), histogram_quantile(high, buckets)
    assert first is not None and second is not None
    assert first <= second + 1e-9


@given(observations, quantiles, st.integers(min_value=2, max_value=50))
def test_scaling_every_count_changes_nothing(values: list[float], q: float, k: int) -> None:
    buckets = cumulative(values, DURATION_BUCKETS)
    scaled = {bound: count * k for bound, count in buckets.items()}
    assert histogram_quantile(q, scaled) == pytest.approx(histogram_quantile(q, buckets))
