"""``histogram_quantile`` as Prometheus computes it, for bucket counts the guard summed itself.

Using the same interpolation as Prometheus means ``orion guard`` and a Prometheus dashboard
agree on the p95 of the same traffic, whichever of the two an operator looks at.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The ``q``-quantile of cumulative ``{upper_bound: count}`` buckets (``+Inf`` required).

    Linear interpolation inside the bucket holding rank ``q * total``; a rank in the ``+Inf``
    bucket answers the highest finite bound. ``None`` when there is nothing to measure (no
    observations, or no ``+Inf`` bucket), where Prometheus would answer NaN.
    """
    if math.isnan(q):
        return None
    bounds = sorted(buckets)
    if not bounds or bounds[-1] != math.inf:
        return None
    counts: list[float] = []
    for bound in bounds:  # scrape races can break monotonicity; Prometheus repairs it the same way
        counts.append(max(buckets[bound], counts[-1] if counts else 0.0))
    total = counts[-1]
    if total <= 0:
        return None
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    rank = q * total
    index = next(i for i, count in enumerate(counts) if count >= rank and count > 0)
    if index == len(bounds) - 1:
        return bounds[-2] if len(bounds) > 1 else None
    upper = bounds[index]
    if index == 0 and upper <= 0:
        return upper
    lower = bounds[index - 1] if index > 0 else 0.0
    below = counts[index - 1] if index > 0 else 0.0
    return lower + (upper - lower) * (rank - below) / (counts[index] - below)
