"""What every client of the API can observe: headers, CORS, hosts, limits, error bodies."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from orion.entrypoints.api import create_app
from orion.platform.config import Settings
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory, production_values

REQUIRED_HEADERS = {
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "permissions-policy",
    "cross-origin-resource-policy",
    "x-request-id",
}


class Widget(BaseModel):
    name: str
    size: int


def with_test_routes(app: FastAPI) -> FastAPI:
    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database password=hunter2 leaked into an exception")

    @app.post("/widgets")
    async def create_widget(widget: Widget) -> Widget:
        return widget

    return app


@pytest.fixture
def production(settings_factory: SettingsFactory) -> Settings:
    return settings_factory("production", **production_values())


@pytest.fixture
def development(settings_factory: SettingsFactory) -> Settings:
    return settings_factory("development")


def assert_secure(response) -> None:  # type: ignore[no-untyped-def]
    missing = REQUIRED_HEADERS - set(response.headers)
    assert not missing, f"{response.status_code} lacks {missing}"
    csp = response.headers["content-security-policy"]
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers.get("x-xss-protection", "0") == "0"


async def test_headers_on_every_kind_of_response(production: Settings) -> None:
    app = with_test_routes(create_app(production))
    host = "api-prod.railway.app"
    async with asgi_client(app, host=host) as client:
        responses = {
            200: await client.get("/health"),
            404: await client.get("/no/such/route"),
            413: await client.post("/widgets", content=b"x" * 2_000_000),
            422: await client.post("/widgets", json={"name": "a", "size": "big"}),
            500: await client.get("/boom"),
        }
    for status, response in responses.items():
        assert response.status_code == status
        assert_secure(response)
        hsts = response.headers["strict-transport-security"]
        assert "includeSubDomains" in hsts
        assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31_536_000


async def test_no_hsts_in_development(development: Settings) -> None:
    async with asgi_client(create_app(development)) as client:
        response = await client.get("/health")
    assert "strict-transport-security" not in response.headers


async def test_error_bodies_share_one_model_without_internals(production: Settings) -> None:
    app = with_test_routes(create_app(production))
    async with asgi_client(app, host="api-prod.railway.app") as client:
        crash = await client.get("/boom", headers={"X-Request-ID": "req-123"})
        invalid = await client.post("/widgets", json={"name": "sk_live_secret", "size": "x"})
    assert crash.json() == {
        "error": {
            "code": "internal_error",
            "message": "Internal server error.",
            "request_id": "req-123",
        }
    }
    assert "hunter2" not in crash.text and "Traceback" not in crash.text
    error = invalid.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["details"][0]["location"] == ["body", "size"]
    assert "sk_live_secret" not in invalid.text  # submitted values are never echoed


async def test_development_errors_name_the_exception(development: Settings) -> None:
    async with asgi_client(with_test_routes(create_app(development))) as client:
        crash = await client.get("/boom")
    assert crash.status_code == 500
    assert crash.json()["error"]["message"].startswith("RuntimeError")


async def test_request_id_is_accepted_when_valid_and_replaced_when_not(
    development: Settings,
) -> None:
    async with asgi_client(create_app(development)) as client:
        kept = await client.get("/health", headers={"X-Request-ID": "abc-123"})
        forged = await client.get("/health", headers={"X-Request-ID": "bad\nid" * 1})
        fresh = await client.get("/health")
    assert kept.headers["x-request-id"] == "abc-123"
    assert forged.headers["x-request-id"] != "bad\nid"
    assert len(fresh.headers["x-request-id"]) == 32


async def test_cors_allows_known_origins_without_reflecting_others(production: Settings) -> None:
    host = "api-prod.railway.app"
    async with asgi_client(create_app(production), host=host) as client:
        allowed = await client.get("/health", headers={"Origin": "https://orion-ai.vercel.app"})
        denied = await client.get("/health", headers={"Origin": "https://evil.test"})
        preflight = await client.options(
            "/health",
            headers={
                "Origin": "https://orion-ai.vercel.app",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Authorization, Content-Type",
            },
        )
        bad_preflight = await client.options(
            "/health",
            headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"},
        )
    assert allowed.headers["access-control-allow-origin"] == "https://orion-ai.vercel.app"
    assert "access-control-allow-origin" not in denied.headers
    assert denied.status_code == 200  # the browser, not the server, enforces CORS
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://orion-ai.vercel.app"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert bad_preflight.status_code == 400
    assert "access-control-allow-origin" not in bad_preflight.headers
    assert bad_preflight.json()["error"]["code"] == "cors_refused"
    assert_secure(bad_preflight)


async def test_untrusted_host_is_rejected_in_production(production: Settings) -> None:
    app = create_app(production)
    async with asgi_client(app, host="evil.test") as client:
        refused = await client.get("/health")
    async with asgi_client(app, host="api-prod.railway.app") as client:
        served = await client.get("/health")
    async with asgi_client(app, host="healthcheck.railway.app") as client:
        platform_probe = await client.get("/health")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_host"
    assert_secure(refused)
    assert served.status_code == 200
    assert platform_probe.status_code == 200


async def test_oversized_bodies_get_413_announced_or_streamed(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory("development", API_MAX_BODY_BYTES="4096")
    app = with_test_routes(create_app(settings))

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"y" * 1000

    async with asgi_client(app) as client:
        announced = await client.post("/widgets", content=b"x" * 5000)
        streamed = await client.post("/widgets", content=chunks())
        small = await client.post("/widgets", json={"name": "ok", "size": 1})
    assert announced.status_code == 413
    assert streamed.status_code == 413
    assert announced.json()["error"]["code"] == "payload_too_large"
    assert small.status_code == 200


async def test_large_responses_are_gzipped(development: Settings) -> None:
    app = create_app(development)

    @app.get("/big")
    async def big() -> dict[str, str]:
        return {"data": "z" * 10_000}

    async with asgi_client(app) as client:
        response = await client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.json()["data"] == "z" * 10_000


async def test_docs_off_in_production_on_in_development(
    production: Settings, development: Settings
) -> None:
    async with asgi_client(create_app(production), host="api-prod.railway.app") as client:
        assert (await client.get("/docs")).status_code == 404
        assert (await client.get("/openapi.json")).status_code == 404
    async with asgi_client(create_app(development)) as client:
        assert (await client.get("/openapi.json")).status_code == 200


async def test_liveness_shape(production: Settings) -> None:
    async with asgi_client(create_app(production), host="api-prod.railway.app") as client:
        response = await client.get("/health")
    assert response.headers["content-type"].startswith("application/health+json")
    body = response.json()
    assert body["status"] == "pass"
    assert body["releaseId"] == "3f2c1e9"
    assert body["version"]
