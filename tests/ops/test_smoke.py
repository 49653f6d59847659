"""``orion smoke``: real API processes, one healthy and one misconfigured, and no server at all.

The misconfigured release is real Orion with two settings an operator could get wrong: a
Temporal address where nothing listens (readiness fails) and the foreign origin in
``ALLOWED_ORIGINS`` (CORS lets it in). Each failing check must say why.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from orion.entrypoints.cli import app as cli_app
from orion.ops.smoke import FOREIGN_ORIGIN, TOKEN_VARIABLE
from orion.ops.steps import run_smoke
from orion.platform.auth import mint_development_token
from tests.fixtures.postgres import TestDatabase
from tests.ops.test_guard_drill import Processes, api_argv, api_env, free_port, wait_until_up

DEV_JWT_SECRET = "orion-development-jwt-secret-do-not-use-elsewhere"  # development.env
runner = CliRunner()


@dataclass(frozen=True)
class Releases:
    healthy: str
    broken: str


@pytest.fixture(scope="module")
def releases(
    shared_database: TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Releases]:
    registry = Processes()
    logs = tmp_path_factory.mktemp("smoke")
    database = {
        "DATABASE_URL": shared_database.app_url,
        "DATABASE_MIGRATION_URL": shared_database.owner_url,
    }
    try:
        ports = free_port(), free_port()
        healthy = registry.start(
            api_argv(ports[0]), api_env(RELEASE_ID="smoke-ok", **database), logs / "ok.log"
        )
        broken = registry.start(
            api_argv(ports[1]),
            api_env(
                TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
                ALLOWED_ORIGINS=FOREIGN_ORIGIN,
                HEALTH_TIMEOUT_SECONDS="1",
                **database,
            ),
            logs / "broken.log",
        )
        urls = Releases(*(f"http://127.0.0.1:{port}" for port in ports))
        wait_until_up(urls.healthy, healthy, logs / "ok.log")
        wait_until_up(urls.broken, broken, logs / "broken.log")
        yield urls
    finally:
        registry.stop_all()


def token() -> str:
    return mint_development_token(
        DEV_JWT_SECRET,
        uuid.uuid4(),
        ttl_seconds=600,
        audience="authenticated",
        tenant_claim="app_metadata.tenant_id",
    )


def smoke(*args: str, **env: str) -> tuple[int, str]:
    result = runner.invoke(cli_app, ["smoke", *args], env={TOKEN_VARIABLE: "", **env})
    return result.exit_code, result.output


def smoke_json(*args: str, **env: str) -> tuple[int, dict[str, Any]]:
    code, output = smoke(*args, "--json", **env)
    report: dict[str, Any] = json.loads(output)
    return code, report


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in report["checks"]}


def reasons(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["reason"] for check in report["checks"]}


def test_healthy_release_passes_every_check_with_a_token(
    releases: Releases, tmp_path: Path
) -> None:
    secret = token()
    junit = tmp_path / "smoke.xml"
    code, output = smoke(releases.healthy, "--junit", str(junit), **{TOKEN_VARIABLE: secret})
    assert code == 0, output
    for name in ("liveness", "readiness", "security_headers", "cors_foreign_origin"):
        assert name in output
    assert "authenticated_read" in output and "PASS" in output and "FAIL" not in output
    assert "release smoke-ok" in output
    assert secret not in output and secret not in junit.read_text()
    suite = ElementTree.parse(junit).getroot()
    assert suite.get("tests") == "7" and suite.get("failures") == "0"
    assert suite.get("skipped") == "0"
    assert {case.get("name") for case in suite.iter("testcase")} >= {"webhook_unsigned"}


def test_without_a_token_the_signed_in_read_is_skipped(releases: Releases) -> None:
    code, report = smoke_json(releases.healthy)
    assert code == 0
    assert report["ok"] is True and report["failed"] == 0 and report["skipped"] == 1
    assert statuses(report)["authenticated_read"] == "skip"
    assert reasons(report)["webhook_unsigned"].startswith("refused with HTTP 4")
    assert "no HSTS expected" in reasons(report)["security_headers"]


def test_misconfigured_release_fails_the_checks_it_breaks(
    releases: Releases, tmp_path: Path
) -> None:
    junit = tmp_path / "smoke.xml"
    code, report = smoke_json(releases.broken, "--junit", str(junit))
    assert code == 1
    assert report["ok"] is False
    assert statuses(report) == {
        "liveness": "pass",
        "readiness": "fail",
        "security_headers": "pass",
        "cors_foreign_origin": "fail",
        "auth_required": "pass",
        "webhook_unsigned": "pass",
        "authenticated_read": "skip",
    }
    why = reasons(report)
    assert "503" in why["readiness"] and "temporal" in why["readiness"]
    assert FOREIGN_ORIGIN in why["cors_foreign_origin"] and "allowed" in why["cors_foreign_origin"]
    failures = ElementTree.parse(junit).getroot().findall("testcase/failure")
    assert len(failures) == 2
    assert all(failure.get("message") for failure in failures)


def test_expecting_hsts_from_a_release_that_does_not_send_it_fails(releases: Releases) -> None:
    code, report = smoke_json(releases.healthy, "--hsts")
    assert code == 1
    assert [name for name, s in statuses(report).items() if s == "fail"] == ["security_headers"]
    assert "missing Strict-Transport-Security" in reasons(report)["security_headers"]


def test_a_rejected_token_fails_the_read_and_is_never_printed(releases: Releases) -> None:
    secret = "smoke-token-that-must-not-leak-42"
    code, output = smoke(releases.healthy, "--token", secret)
    assert code == 1
    assert secret not in output
    _, report = smoke_json(releases.healthy, **{TOKEN_VARIABLE: secret})
    assert statuses(report)["authenticated_read"] == "fail"
    assert "expected 200, got HTTP 401" in reasons(report)["authenticated_read"]
    assert secret not in json.dumps(report)


def test_nothing_listening_fails_every_check() -> None:
    code, report = smoke_json(f"http://127.0.0.1:{free_port()}", "--timeout", "5")
    assert code == 1
    assert report["passed"] == 0 and report["failed"] == 6 and report["skipped"] == 1
    assert all("ConnectError" in r for n, r in reasons(report).items() if n != "authenticated_read")


def test_a_server_that_never_answers_fails_at_each_checks_deadline() -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        code, report = smoke_json(url, "--timeout", "0.5")
        elapsed = time.monotonic() - started
    assert code == 1
    assert report["failed"] == 6
    assert all(
        "no answer within 0.5s" in reasons(report)[name]
        for name in ("liveness", "cors_foreign_origin")
    )
    assert elapsed < 5  # the checks run concurrently, each bounded by its own deadline


def test_the_guard_runs_smoke_as_a_separate_command(releases: Releases) -> None:
    """ops/steps.py runs `python -m orion smoke URL` after a rollback: the exit code decides."""
    failed = run_smoke(releases.broken, timeout=120)
    assert not failed.ok and failed.exit_code == 1
    assert failed.error == "exited with 1"
    assert "readiness" in failed.output_tail and "FAIL" in failed.output_tail
