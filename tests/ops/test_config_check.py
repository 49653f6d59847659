"""``orion config check`` and ``orion config parity`` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from orion.entrypoints.cli import app
from orion.ops.config_check import ENV_FILES, parity
from orion.platform.config import project_root
from tests.fixtures.settings import production_values

runner = CliRunner()
ENVIRONMENTS = project_root() / "config" / "environments"


def test_production_example_lists_its_placeholders(clean_environ: None) -> None:
    result = runner.invoke(
        app,
        ["config", "check", "--env", "production", "--env-file",
         str(ENVIRONMENTS / "production.env.example")],
    )  # fmt: skip
    assert result.exit_code == 1
    for variable in ("ENCRYPTION_KEYS", "DATABASE_URL", "STRIPE_API_KEY", "METRICS_TOKEN"):
        assert variable in result.output


def test_correct_production_file_passes(clean_environ: None, tmp_path: Path) -> None:
    env_file = tmp_path / "production.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in production_values().items()))
    result = runner.invoke(
        app, ["config", "check", "--env", "production", "--env-file", str(env_file)]
    )
    assert result.exit_code == 0, result.output


def test_missing_env_file_is_a_problem(clean_environ: None, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["config", "check", "--env-file", str(tmp_path / "nope.env")], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_committed_env_files_are_in_parity() -> None:
    assert parity(ENVIRONMENTS) == []
    assert runner.invoke(app, ["config", "parity"]).exit_code == 0


def test_parity_detects_a_variable_missing_from_one_file(tmp_path: Path) -> None:
    for name in ENV_FILES:
        (tmp_path / name).write_text((ENVIRONMENTS / name).read_text())
    staging = tmp_path / "staging.env.example"
    staging.write_text(staging.read_text().replace("REDIS_URL=", "# REDIS_URL="))
    (tmp_path / "development.env").write_text(
        (tmp_path / "development.env").read_text() + "\nEXTRA_ONLY_IN_DEV=1\n"
    )
    gaps = {gap.variable: gap.missing_from for gap in parity(tmp_path)}
    assert gaps == {
        "REDIS_URL": ("staging.env.example",),
        "EXTRA_ONLY_IN_DEV": ("staging.env.example", "production.env.example"),
    }
    result = runner.invoke(app, ["config", "parity", "--directory", str(tmp_path)])
    assert result.exit_code == 1
    assert "REDIS_URL" in result.output


def test_every_env_file_variable_is_documented_by_a_comment() -> None:
    for name in ENV_FILES:
        documented = False
        for line in (ENVIRONMENTS / name).read_text().splitlines():
            if line.startswith("#"):
                documented = True
            elif not line.strip():
                documented = False
            else:
                assert documented, f"{name}: {line.split('=')[0]} has no comment above it"
