"""Fault injection for rollback drills: what it breaks, what it spares, where it is refused."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orion.entrypoints.api import create_app
from orion.ops.config_check import check
from orion.ops.prometheus_text import parse_samples
from orion.platform.chaos import ChaosMiddleware, FailureSchedule, is_exempt
from orion.platform.config import load_settings
from orion.platform.config_rules import ConfigError, check_settings
from orion.platform.environment import Environment
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory, production_values


@given(
    st.fractions(min_value=0, max_value=1, max_denominator=1000),
    st.integers(min_value=1, max_value=3000),
)
def test_exactly_the_rate_of_requests_fails(rate: Fraction, n: int) -> None:
    schedule = FailureSchedule(float(rate))
    failures = sum(schedule.next_fails() for _ in range(n))
    assert failures == n * rate.numerator // rate.denominator


def test_failures_are_spread_evenly() -> None:
    schedule = FailureSchedule(0.2)
    assert [i for i in range(1, 21) if schedule.next_fails()] == [5, 10, 15, 20]


@pytest.mark.parametrize(
    ("path", "exempt"),
    [
        ("/health", True),
        ("/health/ready", True),
        ("/health/detailed", True),
        ("/metrics", True),
        ("/healthz", False),
        ("/api/v1/customers", False),
        ("/metrics/extra", False),
    ],
)
def test_health_and_metrics_are_never_touched(path: str, exempt: bool) -> None:
    assert is_exempt(path) is exempt


async def test_errors_are_injected_counted_and_spare_health(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory("development", CHAOS_ERROR_RATE="0.5")
    async with asgi_client(create_app(settings)) as client:
        statuses = [(await client.get("/api/v1/drill")).status_code for _ in range(10)]
        health = [(await client.get("/health")).status_code for _ in range(10)]
        failed = await client.get("/api/v1/drill")  # the 11th: an odd one, not failed
        injected = await client.get("/api/v1/drill")  # the 12th fails
        metrics = (await client.get("/metrics")).text
    assert statuses == [404, 500] * 5
    assert health == [200] * 10
    assert failed.status_code == 404
    assert injected.status_code == 500
    assert injected.json()["error"]["code"] == "chaos_injected"
    assert injected.headers["x-request-id"] == injected.json()["error"]["request_id"]
    assert "content-security-policy" in injected.headers
    counted = sum(
        s.value
        for s in parse_samples(metrics)
        if s.name == "http_requests_total" and s.label("status") == "500"
    )
    assert counted == 6  # the request-metrics middleware saw every injected failure


async def test_latency_is_added_and_measured(settings_factory: SettingsFactory) -> None:
    settings = settings_factory("development", CHAOS_LATENCY_SECONDS="0.2")
    async with asgi_client(create_app(settings)) as client:
        assert (await client.get("/api/v1/drill")).status_code == 404
        metrics = (await client.get("/metrics")).text
    sums = {
        s.label("route"): s.value
        for s in parse_samples(metrics)
        if s.name == "http_request_duration_seconds_sum"
    }
    assert sums["<unmatched>"] >= 0.2  # asyncio.sleep never returns early


def test_chaos_is_off_unless_configured(settings_factory: SettingsFactory) -> None:
    app = create_app(settings_factory("development"))
    assert all(m.cls is not ChaosMiddleware for m in app.user_middleware)


@pytest.mark.parametrize("variable", ["CHAOS_ERROR_RATE", "CHAOS_LATENCY_SECONDS"])
def test_production_refuses_chaos_and_staging_allows_it(
    settings_factory: SettingsFactory, variable: str
) -> None:
    production = settings_factory("production", **production_values(), **{variable: "0.1"})
    assert variable in {p.variable for p in check_settings(production)}
    staging_values = production_values() | {
        "ORION_ENV": "staging",
        "STRIPE_API_KEY": "sk_test_51Hx9GkQ2pR7mN4vL8tY3wZ",
        variable: "0.1",
    }
    assert check_settings(settings_factory("staging", **staging_values)) == []


def test_config_check_lists_chaos_in_production(clean_environ: None, tmp_path: Path) -> None:
    env_file = tmp_path / "production.env"
    values = production_values() | {"CHAOS_ERROR_RATE": "0.2", "CHAOS_LATENCY_SECONDS": "4"}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    problems = {p.variable for p in check(None, env_file)}
    assert {"CHAOS_ERROR_RATE", "CHAOS_LATENCY_SECONDS"} <= problems


def test_rates_outside_zero_to_one_are_type_errors(clean_environ: None, tmp_path: Path) -> None:
    env_file = tmp_path / "development.env"
    env_file.write_text("CHAOS_ERROR_RATE=1.5\n")
    assert "CHAOS_ERROR_RATE" in {p.variable for p in check(None, env_file)}


def test_production_refuses_to_start_with_chaos(clean_environ: None, tmp_path: Path) -> None:
    env_file = tmp_path / "production.env"
    values = production_values() | {"CHAOS_ERROR_RATE": "0.2"}
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    with pytest.raises(ConfigError, match="CHAOS_ERROR_RATE"):
        load_settings(Environment.PRODUCTION, env_file)  # what every process runs at start-up
