"""Where the guard's samples come from: a health probe, and ``/metrics`` or a Prometheus server.

Scraping ``/metrics`` directly needs nothing but the API; it sees the instance the load
balancer picks, so with several replicas prefer ``--prometheus``, which has every instance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import httpx

from orion.ops.guard_rules import SlidingWindow, WindowStats
from orion.ops.prometheus_text import MetricsFormatError, parse_samples
from orion.ops.traffic import TrafficSnapshot, traffic_between


class MetricsUnavailable(Exception):
    """The metrics could not be read this time (network, auth, format)."""


@dataclass(frozen=True, slots=True)
class HealthResult:
    ok: bool
    status: int | None = None
    error: str | None = None

    @property
    def answered(self) -> bool:
        """The target answered HTTP at all (any status): it exists at this URL."""
        return self.status is not None


class MetricsSource(Protocol):
    def read(self, at: float) -> WindowStats | None:
        """Window statistics at time ``at``; ``None`` while there is no baseline yet.

        Raises :class:`MetricsUnavailable` when the metrics cannot be read.
        """


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def probe_health(client: httpx.Client, url: str) -> HealthResult:
    """One health check: 2xx passes, anything else (or no answer) fails."""
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        return HealthResult(ok=False, error=_describe(exc))
    ok = 200 <= response.status_code < 300
    error = None if ok else f"HTTP {response.status_code}: {response.text[:200]}"
    return HealthResult(ok=ok, status=response.status_code, error=error)


class ScrapeSource:
    """Scrapes the API's ``/metrics`` and windows the traffic between consecutive scrapes."""

    def __init__(
        self, client: httpx.Client, url: str, window_seconds: float, token: str | None = None
    ) -> None:
        self._client = client
        self._url = url
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._window = SlidingWindow(window_seconds)
        self._last: TrafficSnapshot | None = None

    def read(self, at: float) -> WindowStats | None:
        try:
            response = self._client.get(self._url, headers=self._headers)
            response.raise_for_status()
            snapshot = TrafficSnapshot.from_samples(parse_samples(response.text))
        except (httpx.HTTPError, MetricsFormatError) as exc:
            raise MetricsUnavailable(_describe(exc)) from None
        previous, self._last = self._last, snapshot
        if previous is None:
            return None
        return self._window.add(at, traffic_between(previous, snapshot))


class PrometheusSource:
    """Asks a Prometheus server (HTTP API) for the same three numbers over the window."""

    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        window_seconds: float,
        selector: str = "",
        token: str | None = None,
    ) -> None:
        self._client = client
        self._url = base_url.rstrip("/") + "/api/v1/query"
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        extra = f",{selector}" if selector else ""
        match = '{route!~"/health(/.*)?|/metrics"' + extra
        span = f"[{max(1, round(window_seconds))}s]"
        self.queries = {
            "requests": f"sum(increase(http_requests_total{match}}}{span}))",
            "errors": f'sum(increase(http_requests_total{match},status=~"5.."}}{span}))',
            "p95": "histogram_quantile(0.95, sum by (le) "
            f"(increase(http_request_duration_seconds_bucket{match}}}{span})))",
        }

    def _scalar(self, query: str) -> float | None:
        try:
            response = self._client.get(self._url, params={"query": query}, headers=self._headers)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise MetricsUnavailable(_describe(exc)) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            raise MetricsUnavailable(f"Prometheus answered {str(body)[:200]}")
        result = body.get("data", {}).get("result", [])
        if not result:
            return None
        try:
            value = float(result[0]["value"][1])
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise MetricsUnavailable(f"unexpected Prometheus result: {_describe(exc)}") from None
        return None if math.isnan(value) else value

    def read(self, at: float) -> WindowStats | None:
        requests = self._scalar(self.queries["requests"]) or 0.0
        errors = self._scalar(self.queries["errors"]) or 0.0
        return WindowStats(requests, errors, self._scalar(self.queries["p95"]))
