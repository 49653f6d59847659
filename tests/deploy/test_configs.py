"""Deploy configs: the image, Railway config-as-code and vercel.json, checked against the code.

No Docker engine or platform account exists here, so these tests check what can be checked
offline: linters, structure, and that every path and command a config names exists in Orion.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
from dotenv import dotenv_values
from typer.testing import CliRunner

from orion.entrypoints.api import create_app
from orion.entrypoints.cli import app as cli_app
from orion.ops.vercel import PRODUCTION_BACKEND, render_vercel_json
from orion.platform.config import project_root
from orion.platform.security import security_headers
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory

ROOT = project_root()
DEPLOY = ROOT / "config" / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile.production"
#: Every field of Railway's config-as-code reference (docs.railway.com/config-as-code).
RAILWAY_FIELDS = {
    "build": {
        "builder", "watchPatterns", "buildCommand", "dockerfilePath", "nixpacksConfigPath",
        "nixpacksPlan", "nixpacksVersion", "railpackVersion",
    },
    "deploy": {
        "startCommand", "preDeployCommand", "multiRegionConfig", "numReplicas",
        "healthcheckPath", "healthcheckTimeout", "restartPolicyType", "restartPolicyMaxRetries",
        "cronSchedule", "overlapSeconds", "drainingSeconds", "sleepApplication", "region",
    },
}  # fmt: skip
runner = CliRunner()


# --- helpers --------------------------------------------------------------------------------


def instructions(stage: str | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    found: list[tuple[str, str]] = []
    current = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, rest = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            current = rest.split(" AS ")[-1].strip() if " AS " in rest else rest
        if stage is None or current == stage:
            found.append((keyword.upper(), rest.strip()))
    return found


def command_exists(path: tuple[str, ...]) -> bool:
    command: Any = typer.main.get_command(cli_app)
    for name in path:
        subcommands = getattr(command, "commands", None)  # a group (Typer's or Click's)
        if not isinstance(subcommands, dict) or name not in subcommands:
            return False
        command = subcommands[name]
    return True


def orion_command_status(argv: list[str]) -> str:
    """``orion <command> [<sub>] ...``: "ok" or "unknown"."""
    if argv[:1] != ["orion"]:
        return "unknown"
    words = [word for word in argv[1:3] if not word.startswith("-")]
    for depth in (2, 1):
        path = tuple(words[:depth])
        if len(path) == depth and command_exists(path):
            return "ok"
    return "unknown"


def assert_orion_command(argv: list[str]) -> None:
    assert orion_command_status(argv) == "ok", f"`{' '.join(argv)}` is not an orion command"


def railway(name: str) -> dict[str, Any]:
    return tomllib.loads((DEPLOY / name).read_text())


def seconds(variable: str) -> float:
    """A shutdown setting as production sets it (0 when that setting does not exist yet)."""
    production = dotenv_values(ROOT / "config" / "environments" / "production.env.example")
    return float(production.get(variable) or 0)


def shell_commands(start: str) -> list[list[str]]:
    """The orion command lines inside ``/bin/sh -c "a && b"`` (or a plain command)."""
    argv = shlex.split(start)
    if argv[:2] == ["/bin/sh", "-c"]:
        script = argv[2].removeprefix("exec ")
        return [shlex.split(part) for part in script.split("&&")]
    return [argv]


# --- Dockerfile -----------------------------------------------------------------------------


def test_dockerfile_is_hadolint_clean() -> None:
    result = subprocess.run(
        ["hadolint", str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in instructions("runtime") if keyword == "USER"]
    assert users, "the runtime stage must set USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")


def test_builder_installs_the_locked_production_dependencies_only() -> None:
    runs = " ".join(args for keyword, args in instructions("builder") if keyword == "RUN")
    assert "uv sync --locked --no-dev" in runs
    copies = [args for keyword, args in instructions("runtime") if keyword == "COPY"]
    assert any("--from=builder /app/.venv" in args for args in copies)
    assert not any(keyword == "RUN" and "uv " in args for keyword, args in instructions("runtime"))


def test_image_carries_config_and_migrations() -> None:
    copies = {args for keyword, args in instructions("runtime") if keyword == "COPY"}
    assert "config ./config" in copies
    assert "migrations ./migrations" in copies
    assert (ROOT / "config" / "environments").is_dir()


def test_no_secret_can_be_baked_into_a_layer() -> None:
    assert not [args for keyword, args in instructions() if keyword == "ARG"]
    secretish = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|_URL|DSN|CREDENTIAL", re.IGNORECASE)
    for keyword, args in instructions():
        if keyword == "ENV":
            names = re.findall(r"([A-Z_][A-Z0-9_]*)=", args)
            assert names and not [n for n in names if secretish.search(n)], args


def test_base_images_are_pinned_to_versions() -> None:
    for keyword, args in instructions():
        if keyword == "FROM":
            image = args.split()[0]
            assert ":" in image and not image.endswith(":latest"), image


async def test_healthcheck_probes_a_route_the_app_serves(
    settings_factory: SettingsFactory,
) -> None:
    checks = [args for keyword, args in instructions("runtime") if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    path = re.search(r"http://127\.0\.0\.1:\{port\}(/[a-z/]*)", checks[0])
    assert path is not None, checks[0]
    assert path.group(1) == "/health"  # liveness: no dependency, so no restarts on a DB blip
    async with asgi_client(create_app(settings_factory("development"))) as client:
        response = await client.get(path.group(1))
    assert response.status_code == 200


def test_entrypoint_and_default_command_are_orion_api() -> None:
    runtime = dict(instructions("runtime"))
    argv = json.loads(runtime["ENTRYPOINT"]) + json.loads(runtime["CMD"])
    assert argv == ["orion", "api"]
    assert_orion_command(argv)
    assert runner.invoke(cli_app, ["api", "--help"]).exit_code == 0


# --- Railway --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["railway.toml", "railway.worker.toml"])
def test_railway_configs_use_only_documented_fields(name: str) -> None:
    config = railway(name)
    assert set(config) <= {"build", "deploy"}
    for section, fields in config.items():
        assert set(fields) <= RAILWAY_FIELDS[section], set(fields) - RAILWAY_FIELDS[section]
    assert config["build"]["builder"] == "DOCKERFILE"
    assert (ROOT / config["build"]["dockerfilePath"]) == DOCKERFILE
    assert config["deploy"]["restartPolicyType"] in {"ON_FAILURE", "ALWAYS", "NEVER"}
    for field in ("overlapSeconds", "drainingSeconds", "restartPolicyMaxRetries"):
        assert isinstance(config["deploy"][field], int)  # the parser refuses strings


def test_api_service_starts_the_api_on_railways_port() -> None:
    deploy = railway("railway.toml")["deploy"]
    [argv] = shell_commands(deploy["startCommand"])
    assert argv == ["orion", "api", "--host", "0.0.0.0", "--port", "$PORT"]
    assert deploy["startCommand"].startswith('/bin/sh -c "exec ')  # exec form: a shell expands
    assert_orion_command(argv)


def test_api_service_backs_up_then_migrates_before_each_deploy() -> None:
    [command] = railway("railway.toml")["deploy"]["preDeployCommand"]
    steps = shell_commands(command)
    assert steps == [["orion", "backup", "create", "--verify"], ["orion", "db", "upgrade"]]
    assert_orion_command(steps[1])
    assert_orion_command(steps[0])


def test_api_service_waits_for_readiness_and_drains_longer_than_the_grace() -> None:
    deploy = railway("railway.toml")["deploy"]
    assert deploy["healthcheckPath"] == "/health/ready"
    assert deploy["healthcheckTimeout"] >= 60
    shutdown = seconds("API_SHUTDOWN_DRAIN_SECONDS") + seconds("API_SHUTDOWN_GRACE_SECONDS")
    assert deploy["drainingSeconds"] > shutdown > 0  # SIGKILL only after a graceful stop
    assert deploy["overlapSeconds"] > 0


def test_worker_service_runs_the_worker_without_http_checks_or_migrations() -> None:
    deploy = railway("railway.worker.toml")["deploy"]
    assert "healthcheckPath" not in deploy and "preDeployCommand" not in deploy
    assert deploy["drainingSeconds"] > seconds("WORKER_SHUTDOWN_GRACE_SECONDS")
    [argv] = shell_commands(deploy["startCommand"])
    assert argv == ["orion", "worker"]
    assert_orion_command(argv)


# --- Vercel ---------------------------------------------------------------------------------


def committed_vercel() -> dict[str, Any]:
    config: dict[str, Any] = json.loads((DEPLOY / "vercel.json").read_text())
    return config


def test_vercel_serves_exactly_the_api_security_headers() -> None:
    expected = security_headers(hsts=True)
    [rule] = committed_vercel()["headers"]
    assert rule["source"] == "/(.*)"
    served = {header["key"]: header["value"] for header in rule["headers"]}
    assert served == expected
    assert len(rule["headers"]) == len(expected)


def test_vercel_rewrites_api_and_health_to_the_backend() -> None:
    rewrites = {r["source"]: r["destination"] for r in committed_vercel()["rewrites"]}
    assert rewrites == {
        "/api/:path*": f"{PRODUCTION_BACKEND}/api/:path*",
        "/health": f"{PRODUCTION_BACKEND}/health",
        "/health/:path*": f"{PRODUCTION_BACKEND}/health/:path*",
    }


def test_vercel_is_static_output_from_the_dashboard_folder() -> None:
    config = committed_vercel()
    assert config["outputDirectory"] == "src/orion/web"
    assert config["framework"] is None and config["buildCommand"] == ""


def test_committed_vercel_json_is_the_rendered_one(tmp_path: Path) -> None:
    assert (DEPLOY / "vercel.json").read_text() == render_vercel_json()
    check = ["ops", "render-vercel", "--output", str(DEPLOY / "vercel.json"), "--check"]
    assert runner.invoke(cli_app, check).exit_code == 0
    stale = tmp_path / "vercel.json"
    stale.write_text(render_vercel_json().replace("DENY", "SAMEORIGIN"))
    result = runner.invoke(cli_app, ["ops", "render-vercel", "--output", str(stale), "--check"])
    assert result.exit_code == 1 and "stale" in result.output


def test_render_vercel_points_staging_at_its_backend(tmp_path: Path) -> None:
    out = tmp_path / "vercel.json"
    args = ["ops", "render-vercel", "--backend-url", "https://api-staging.example/", "--output"]
    assert runner.invoke(cli_app, [*args, str(out)]).exit_code == 0
    rewrites = json.loads(out.read_text())["rewrites"]
    assert rewrites[0]["destination"] == "https://api-staging.example/api/:path*"
    insecure = runner.invoke(cli_app, ["ops", "render-vercel", "--backend-url", "http://x"])
    assert insecure.exit_code != 0
