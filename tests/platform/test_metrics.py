"""HTTP metrics: bounded labels, buckets that resolve the rollback threshold, protection."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from orion.entrypoints.api import create_app
from orion.platform.metrics import DURATION_BUCKETS
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory, production_values


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


async def test_route_labels_are_templates(settings_factory: SettingsFactory) -> None:
    app = create_app(settings_factory("development"))

    @app.get("/items/{item_id}")
    async def item(item_id: str) -> dict[str, str]:
        return {"id": item_id}

    async with asgi_client(app) as client:
        for n in range(25):
            await client.get(f"/items/{n}")
            await client.get(f"/random/{n}")
        text = (await client.get("/metrics")).text
    routes = {labels["route"] for name, labels, _ in samples(text) if name == "http_requests_total"}
    assert routes == {"/items/{item_id}", "<unmatched>"}
    counts = {
        (labels["route"], labels["status"]): value
        for name, labels, value in samples(text)
        if name == "http_requests_total"
    }
    assert counts[("/items/{item_id}", "200")] == 25
    assert counts[("<unmatched>", "404")] == 25


async def test_duration_histogram_resolves_p95_around_three_seconds(
    settings_factory: SettingsFactory,
) -> None:
    assert {2.5, 3.0, 3.5} <= set(DURATION_BUCKETS)
    async with asgi_client(create_app(settings_factory("development"))) as client:
        await client.get("/health")
        text = (await client.get("/metrics")).text
    buckets = {
        labels["le"]
        for name, labels, _ in samples(text)
        if name == "http_request_duration_seconds_bucket"
    }
    assert {"2.5", "3.0", "3.5", "+Inf"} <= buckets
    assert any(name == "http_requests_in_flight" for name, _, _ in samples(text))


async def test_metrics_need_the_token_when_deployed(settings_factory: SettingsFactory) -> None:
    app = create_app(settings_factory("production", **production_values()))
    async with asgi_client(app, host="api-prod.railway.app") as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer Mt6rQ1zX8vB3nK7p"})
    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert right.status_code == 200
    assert "http_requests_total" in right.text
