"""Metric sources: Prometheus' HTTP API answers, and scraping failures, without a network.

A Prometheus server cannot run on this machine; these tests answer its documented
``/api/v1/query`` JSON shape from an httpx transport and check what the guard makes of it.
"""

from __future__ import annotations

import httpx
import pytest

from orion.ops.guard_sources import (
    MetricsUnavailable,
    PrometheusSource,
    ScrapeSource,
    probe_health,
)


def vector(value: str | None) -> dict[str, object]:
    result = [] if value is None else [{"metric": {}, "value": [1700000000.0, value]}]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def prometheus(answers: dict[str, str | None], seen: list[httpx.Request]) -> PrometheusSource:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        query = request.url.params["query"]
        if "histogram_quantile" in query:
            return httpx.Response(200, json=vector(answers["p95"]))
        key = "errors" if 'status=~"5.."' in query else "requests"
        return httpx.Response(200, json=vector(answers[key]))

    client = httpx.Client(transport=httpx.MockTransport(handle))
    return PrometheusSource(client, "http://prom:9090/", 60, 'job="orion-api"', "prom-token")


def test_prometheus_queries_exclude_the_guards_routes_and_use_the_window() -> None:
    seen: list[httpx.Request] = []
    source = prometheus({"requests": "120", "errors": "12", "p95": "0.42"}, seen)
    stats = source.read(0)
    assert stats is not None
    assert (stats.requests, stats.errors, stats.p95_seconds) == (120, 12, 0.42)
    assert stats.error_rate == pytest.approx(0.1)
    queries = [request.url.params["query"] for request in seen]
    assert all('route!~"/health(/.*)?|/metrics",job="orion-api"' in q for q in queries)
    assert all("[60s]" in q for q in queries)
    assert all(r.url.path == "/api/v1/query" for r in seen)
    assert all(r.headers["authorization"] == "Bearer prom-token" for r in seen)


def test_prometheus_empty_or_nan_results_are_no_traffic() -> None:
    stats = prometheus({"requests": None, "errors": None, "p95": "NaN"}, []).read(0)
    assert stats is not None
    assert (stats.requests, stats.errors, stats.p95_seconds, stats.error_rate) == (0, 0, None, None)


def test_prometheus_errors_are_unavailable_metrics() -> None:
    def refuse(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "error", "error": "bad query"})

    source = PrometheusSource(httpx.Client(transport=httpx.MockTransport(refuse)), "http://p", 60)
    with pytest.raises(MetricsUnavailable, match="bad query"):
        source.read(0)


def test_scrape_without_the_token_is_unavailable_and_sends_the_bearer() -> None:
    tokens: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers.get("authorization"))
        return httpx.Response(401, json={"error": {"code": "unauthorized"}})

    client = httpx.Client(transport=httpx.MockTransport(handle))
    with pytest.raises(MetricsUnavailable, match="401"):
        ScrapeSource(client, "http://api/metrics", 60, token="t0ken-value").read(0)
    assert tokens == ["Bearer t0ken-value"]


def test_scrape_of_something_that_is_not_metrics_is_unavailable() -> None:
    client = httpx.Client(
        transport=httpx.MockTransport(lambda _r: httpx.Response(200, text='x{y="1" 2\n'))
    )
    with pytest.raises(MetricsUnavailable, match="not Prometheus text"):
        ScrapeSource(client, "http://api/metrics", 60).read(0)


def test_health_probe_distinguishes_failing_from_unreachable() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host == "down":
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(503 if request.url.host == "sick" else 200, text="{}")

    client = httpx.Client(transport=httpx.MockTransport(handle))
    ok, sick, down = (probe_health(client, f"http://{h}/health") for h in ("ok", "sick", "down"))
    assert (ok.ok, ok.answered) == (True, True)
    assert (sick.ok, sick.answered, sick.status) == (False, True, 503)
    assert (down.ok, down.answered) == (False, False)
    assert down.error is not None and "ConnectError" in down.error
