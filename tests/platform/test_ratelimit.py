"""Rate limits as a client sees them: budgets, keys, headers, exemptions, Redis fallback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import Request

from orion.entrypoints.api import create_app
from orion.platform.auth import mint_development_token
from orion.platform.config import Settings, load_settings
from orion.platform.config_rules import ConfigError, check_settings
from orion.platform.environment import Environment
from orion.platform.resources import build_resources
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory, production_values
from tests.platform.throwaway import black_hole, eventually, redis_server

STRIPE_HOOK = "/api/v1/webhooks/stripe/{}"


class Api:
    """An app with its resources, plus helpers to call it as different clients."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.resources = build_resources(settings, "orion-ratelimit-test")
        self.app = create_app(settings, self.resources)

        @self.app.get("/api/v1/test-principal")
        async def principal(request: Request) -> dict[str, str]:
            return {"tenant_id": str(request.state.principal.tenant_id)}

    def token(self, tenant: uuid.UUID) -> str:
        supabase = self.settings.supabase
        assert supabase.jwt_secret is not None
        return mint_development_token(
            supabase.jwt_secret.get_secret_value(),
            tenant,
            ttl_seconds=600,
            audience=supabase.jwt_audience,
            tenant_claim=supabase.tenant_claim,
        )

    async def call(
        self, method: str, path: str, *, tenant: uuid.UUID | None = None, **headers: str
    ) -> httpx.Response:
        sent = {name.replace("_", "-"): value for name, value in headers.items()}
        if tenant is not None:
            sent["Authorization"] = f"Bearer {self.token(tenant)}"
        async with asgi_client(self.app) as client:
            return await client.request(method, path, headers=sent)

    async def close(self) -> None:
        await self.app.state.rate_limiter.close()
        await self.resources.close()


@pytest.fixture
async def make_api(settings_factory: SettingsFactory) -> AsyncIterator[Any]:
    made: list[Api] = []

    def make(**values: str) -> Api:
        api = Api(settings_factory("development", **values))
        made.append(api)
        return api

    yield make
    for api in made:
        await api.close()


async def test_the_read_budget_counts_down_then_refuses_with_429(make_api: Any) -> None:
    api = make_api(RATELIMIT_READ="3/minute")
    remaining = []
    for _ in range(3):
        response = await api.call("GET", "/api/v1/me")
        assert response.status_code == 401  # counted even though the route refuses
        assert response.headers["RateLimit-Limit"] == "3"
        remaining.append(response.headers["RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    refused = await api.call("GET", "/api/v1/me")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["request_id"] == refused.headers["X-Request-ID"]
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert int(refused.headers["RateLimit-Reset"]) <= 60
    assert "content-security-policy" in refused.headers


async def test_health_and_metrics_are_never_limited(make_api: Any) -> None:
    api = make_api(RATELIMIT_READ="1/minute")
    await api.call("GET", "/api/v1/me")
    assert (await api.call("GET", "/api/v1/me")).status_code == 429
    for path in ("/health", "/health/ready", "/health/detailed", "/metrics") * 3:
        response = await api.call("GET", path)
        assert response.status_code != 429
        assert "RateLimit-Limit" not in response.headers


async def test_signed_in_callers_are_limited_per_tenant(make_api: Any) -> None:
    api = make_api(RATELIMIT_READ="2/minute")
    first, second = uuid.uuid4(), uuid.uuid4()
    for _ in range(2):
        assert (await api.call("GET", "/api/v1/me", tenant=first)).status_code == 200
    assert (await api.call("GET", "/api/v1/me", tenant=first)).status_code == 429
    assert (await api.call("GET", "/api/v1/me", tenant=second)).status_code == 200
    assert (await api.call("GET", "/api/v1/me")).status_code == 401  # anonymous: own budget


async def test_the_middleware_leaves_the_verified_principal_on_the_request(make_api: Any) -> None:
    api = make_api()
    tenant = uuid.uuid4()
    response = await api.call("GET", "/api/v1/test-principal", tenant=tenant)
    assert response.json() == {"tenant_id": str(tenant)}


async def test_writes_have_their_own_budget(make_api: Any) -> None:
    api = make_api(RATELIMIT_WRITE="2/minute", RATELIMIT_READ="100/minute")
    tenant = uuid.uuid4()
    for _ in range(2):
        assert (await api.call("POST", "/api/v1/me", tenant=tenant)).status_code == 405
    assert (await api.call("DELETE", "/api/v1/me", tenant=tenant)).status_code == 429
    assert (await api.call("GET", "/api/v1/me", tenant=tenant)).status_code == 200


async def test_webhooks_are_limited_per_stripe_connection_and_per_hubspot_sender(
    make_api: Any,
) -> None:
    api = make_api(
        RATELIMIT_WEBHOOK="2/minute",
        RATELIMIT_WRITE="100/minute",
        RATELIMIT_CLIENT_IP_HEADERS="X-Forwarded-For",
        RATELIMIT_TRUSTED_PROXY_COUNT="1",
    )
    one, two = uuid.uuid4(), uuid.uuid4()
    for _ in range(2):
        assert (await api.call("POST", STRIPE_HOOK.format(one))).status_code != 429
    assert (await api.call("POST", STRIPE_HOOK.format(str(one).upper()))).status_code == 429
    assert (await api.call("POST", STRIPE_HOOK.format(two))).status_code != 429
    assert (await api.call("POST", "/api/v1/things")).status_code != 429  # write budget

    hubspot = "/api/v1/webhooks/hubspot"
    for _ in range(2):
        assert (await api.call("POST", hubspot, x_forwarded_for="198.51.100.7")).status_code != 429
    assert (await api.call("POST", hubspot, x_forwarded_for="198.51.100.7")).status_code == 429
    assert (await api.call("POST", hubspot, x_forwarded_for="198.51.100.8")).status_code != 429


async def test_forwarded_for_is_ignored_unless_configured(make_api: Any) -> None:
    api = make_api(RATELIMIT_READ="2/minute")
    statuses = [
        (await api.call("GET", "/api/v1/me", x_forwarded_for=f"203.0.113.{n}")).status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]  # one peer, one budget, whatever the header says


async def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(make_api: Any) -> None:
    api = make_api(
        RATELIMIT_READ="2/minute",
        RATELIMIT_CLIENT_IP_HEADERS="X-Forwarded-For",
        RATELIMIT_TRUSTED_PROXY_COUNT="1",
    )
    for spoof in ("1.1.1.1", "2.2.2.2"):  # what a client prepends is never the key
        forwarded = f"{spoof}, 203.0.113.9"
        assert (await api.call("GET", "/api/v1/me", x_forwarded_for=forwarded)).status_code == 401
    refused = await api.call("GET", "/api/v1/me", x_forwarded_for="3.3.3.3, 203.0.113.9")
    assert refused.status_code == 429
    other = await api.call("GET", "/api/v1/me", x_forwarded_for="203.0.113.10")
    assert other.status_code == 401


async def test_redis_outage_falls_back_to_memory_and_recovers(
    make_api: Any, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as server:
        api = make_api(
            REDIS_URL=server.url,
            RATELIMIT_READ="3/minute",
            RATELIMIT_REDIS_PROBE_SECONDS="0.2",
            HEALTH_CACHE_SECONDS="0",
        )
        limiter = api.app.state.rate_limiter
        statuses = [(await api.call("GET", "/api/v1/me")).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert redis.Redis.from_url(server.url).keys("LIMITS*")  # the count lives in Redis

        server.stop()
        after = [(await api.call("GET", "/api/v1/me")).status_code for _ in range(4)]
        assert after == [401, 401, 401, 429]  # memory budget of this instance, never a 500
        assert limiter.fallback_active
        health = (await api.call("GET", "/health/detailed")).json()
        assert health["checks"]["redis:responseTime"][0]["status"] == "warn"
        metrics = (await api.call("GET", "/metrics")).text
        assert "orion_ratelimit_fallback_active 1.0" in metrics

        server.start()  # empty: --save ''
        await eventually(lambda: not limiter.fallback_active, within=30)
        again = [(await api.call("GET", "/api/v1/me")).status_code for _ in range(4)]
        assert again == [401, 401, 401, 429]
        assert redis.Redis.from_url(server.url).keys("LIMITS*")
        assert "orion_ratelimit_fallback_active 0.0" in (await api.call("GET", "/metrics")).text


async def test_a_hanging_redis_costs_one_timeout_then_memory(make_api: Any) -> None:
    with black_hole() as hole:
        api = make_api(
            REDIS_URL=f"redis://{hole.address}/0",
            RATELIMIT_READ="2/minute",
            RATELIMIT_REDIS_TIMEOUT_SECONDS="0.2",
        )
        statuses = [(await api.call("GET", "/api/v1/me")).status_code for _ in range(3)]
        assert statuses == [401, 401, 429]
        assert api.app.state.rate_limiter.fallback_active


async def test_rate_limiting_can_be_switched_off_outside_production(make_api: Any) -> None:
    api = make_api(RATELIMIT_ENABLED="false", RATELIMIT_READ="1/minute")
    for _ in range(3):
        response = await api.call("GET", "/api/v1/me")
        assert response.status_code == 401
        assert "RateLimit-Limit" not in response.headers


def test_limit_settings_are_validated_by_name(tmp_path: Path) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text(
        "RATELIMIT_READ=lots\nRATELIMIT_TRUSTED_PROXY_CIDRS=10.0.0.0/8,not-a-network\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(Environment.DEVELOPMENT, env_file)
    reported = {problem.variable for problem in caught.value.problems}
    assert {"RATELIMIT_READ", "RATELIMIT_TRUSTED_PROXY_CIDRS"} <= reported


def test_production_refuses_to_run_without_rate_limits(settings_factory: SettingsFactory) -> None:
    values = production_values() | {"RATELIMIT_ENABLED": "false"}
    problems = check_settings(settings_factory("production", **values))
    assert [p.variable for p in problems] == ["RATELIMIT_ENABLED"]
