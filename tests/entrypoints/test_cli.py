"""The ``orion`` command as a user types it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from orion.entrypoints.cli import app
from orion.platform.config import project_root

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("api", "up", "version", "config"):
        assert command in result.output


def test_version_names_the_release(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RELEASE_ID", "abc1234")
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert "abc1234" in result.output


def test_api_refuses_to_start_with_every_problem_listed(tmp_path: Path) -> None:
    env_file = tmp_path / "prod.env"
    env_file.write_text("ORION_ENV=production\nSTRIPE_API_KEY=sk_test_abcdef123456\n")
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "TEMPORAL_", "STRIPE_"))
    }
    environ.update(ORION_ENV="production", ORION_ENV_FILE=str(env_file))
    result = subprocess.run(
        [sys.executable, "-m", "orion", "api"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    for variable in ("STRIPE_API_KEY", "DATABASE_URL", "REDIS_URL", "TRUSTED_HOSTS"):
        assert variable in result.stderr
    assert "sk_test_abcdef123456" not in result.stderr


def test_run_py_bootstraps_and_runs_orion() -> None:
    result = subprocess.run(
        [sys.executable, str(project_root() / "run.py"), "version"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("orion ")
