"""``config/monitors.yml`` and ``orion monitors render``: payloads that match the app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from orion.entrypoints.api import create_app
from orion.entrypoints.cli import app as cli
from orion.ops.monitors import MonitorsError, load, render
from orion.platform.environment import Environment
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory

runner = CliRunner()
BETTER_STACK_TIMEOUTS = {2, 3, 5, 10, 15, 30, 45, 60}
BETTER_STACK_REGIONS = {"us", "eu", "as", "au"}


@pytest.mark.parametrize("env", list(Environment))
def test_every_environment_renders_valid_payloads(env: Environment) -> None:
    monitors = render(env, load())
    assert {m.key for m in monitors} >= {"api-liveness", "api-readiness", "api-detailed-health"}
    assert any(m.target == "dashboard" for m in monitors)
    for monitor in monitors:
        payload = monitor.payload
        assert payload["url"].endswith(monitor.path)
        assert env.value in payload["pronounceable_name"]
        assert payload["monitor_type"] in {
            "status", "expected_status_code", "keyword", "keyword_absence",
        }  # fmt: skip
        if payload["monitor_type"] == "expected_status_code":
            assert payload["expected_status_codes"]
        if payload["monitor_type"].startswith("keyword"):
            assert payload["required_keyword"]
        assert payload["request_timeout"] in BETTER_STACK_TIMEOUTS
        assert set(payload["regions"]) <= BETTER_STACK_REGIONS
        assert payload["check_frequency"] >= 30
        assert not {"key", "target", "path", "name"} & set(payload)
        if env.deployed:
            assert payload["url"].startswith("https://")


def test_environments_get_their_own_urls_and_overrides() -> None:
    document = load()
    production = {m.key: m.payload for m in render(Environment.PRODUCTION, document)}
    staging = {m.key: m.payload for m in render(Environment.STAGING, document)}
    assert production["api-readiness"]["url"] == "https://api-prod.railway.app/health/ready"
    assert staging["api-readiness"]["url"] == "https://api-staging.railway.app/health/ready"
    assert production["api-readiness"]["call"] is True
    assert staging["api-readiness"]["call"] is False
    assert production["api-degraded"]["call"] is False  # a warning never wakes anyone


async def test_every_monitored_api_path_is_a_route_of_the_app(
    settings_factory: SettingsFactory,
) -> None:
    """Asked through the app itself: the router must match each path to a route template."""
    app = create_app(settings_factory("development"))
    monitored = [m for m in render(Environment.PRODUCTION, load()) if m.target == "api"]
    assert monitored
    async with asgi_client(app) as client:
        for monitor in monitored:
            await client.request(monitor.payload["http_method"], monitor.path)
        metrics = (await client.get("/metrics")).text
    matched = {
        (sample.labels["method"], sample.labels["route"])
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "http_requests_total"
    }
    for monitor in monitored:
        assert (monitor.payload["http_method"], monitor.path) in matched, monitor.key


def test_the_degraded_keyword_matches_what_the_app_writes() -> None:
    keyword = {m.key: m.payload for m in render(Environment.PRODUCTION, load())}["api-degraded"]
    compact = json.dumps({"status": "warn"}, separators=(",", ":"))
    assert keyword["required_keyword"] == compact[1:-1]


def test_the_cli_prints_the_payloads() -> None:
    result = runner.invoke(cli, ["monitors", "render", "--env", "staging"])
    assert result.exit_code == 0, result.output
    payloads = json.loads(result.output)
    assert {p["url"] for p in payloads} >= {"https://api-staging.railway.app/health"}


def test_a_broken_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "monitors.yml"
    broken.write_text("environments: {}\nmonitors:\n  - key: x\n    name: X\n    target: api\n")
    with pytest.raises(MonitorsError):
        render(Environment.STAGING, load(broken))
    result = runner.invoke(cli, ["monitors", "render", "--env", "staging", "--file", str(broken)])
    assert result.exit_code == 1
    assert "no environment" in result.output
