"""The real deploy scripts, run against stub ``railway``, ``vercel`` and ``orion`` executables.

Each stub appends its argv to a log and can be told to fail, so the tests see exactly which
platform commands a release runs, in which order, and what happens when one step fails.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from orion.platform.config import project_root
from tests.deploy.test_configs import orion_command_status

SCRIPTS = project_root() / "scripts" / "deploy"
RELEASE = "3f2c1e9"
STAGING = "https://api-staging.example"

# One stub for the three CLIs. STUB_FAIL lists "<cli> <args prefix>" lines that fail;
# STUB_GUARD=trip makes `orion guard` run its --rollback-command and exit 1 (what the real
# guard does on a trip), STUB_GUARD=inconclusive makes it exit 2.
STUB = r"""#!/usr/bin/env bash
name=$(basename "$0")
line="$name $*"
printf '%s\n' "$line" >>"$CALL_LOG"
while IFS= read -r pattern; do
  if [[ -n $pattern && $line == "$pattern"* ]]; then exit "${STUB_FAIL_CODE:-1}"; fi
done <<<"${STUB_FAIL:-}"
case $line in
  "railway run "*)  # run the wrapped command (after --), as `railway run` does
    while (($#)) && [[ $1 != -- ]]; do shift; done
    shift
    exec "$@" ;;
  "railway deployment list"*)
    printf '[{"id":"%s-new","status":"BUILDING"},' "$4"
    printf '{"id":"%s-live","status":"SUCCESS"}]\n' "$4" ;;
  "vercel api"*) printf '{"deployments":[{"uid":"dpl_live"}]}\n' ;;
  "vercel deploy"*) printf 'https://orion-abc123.vercel.app\n' ;;
  "orion ops release-id"*) printf 'release-before\n' ;;
  "orion guard"*)
    case ${STUB_GUARD:-ok} in
      trip)
        while (($#)); do
          if [[ $1 == --rollback-command ]]; then bash -c "$2"; break; fi
          shift
        done
        exit 1 ;;
      inconclusive) exit 2 ;;
    esac ;;
esac
exit 0
"""


@dataclass
class Run:
    code: int
    calls: list[str]
    stderr: str

    def verbs(self) -> list[str]:
        """Each call reduced to the CLI and its subcommand words, for order assertions."""
        words = []
        for call in self.calls:
            parts = call.split()
            depth = 3 if parts[:2] in (["orion", "ops"], ["orion", "backup"]) else 2
            if parts[:2] == ["railway", "deployment"]:
                depth = 3
            words.append(" ".join(parts[:depth]))
        return words


Runner = Callable[..., Run]


@pytest.fixture
def run_script(tmp_path: Path) -> Runner:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for cli in ("orion", "railway", "vercel"):
        stub = bin_dir / cli
        stub.write_text(STUB)
        stub.chmod(0o755)
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>Orion</title>\n")
    log = tmp_path / "calls.log"

    def run(script: str, *args: str, **env: str) -> Run:
        log.write_text("")
        environ = {k: v for k, v in os.environ.items() if k not in ("ORION", "RAILWAY", "VERCEL")}
        environ.update(
            PATH=f"{bin_dir}{os.pathsep}{environ['PATH']}",
            CALL_LOG=str(log),
            RELEASE_ID=RELEASE,
            API_URL=STAGING,
            VERCEL_PROJECT_ID="prj_test",
            DEPLOY_STATE_DIR=str(tmp_path / "state"),
            WEB_DIR=str(web),
        )
        environ.update(env)
        result = subprocess.run(
            [str(SCRIPTS / script), *args],
            env=environ,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return Run(result.returncode, log.read_text().splitlines(), result.stderr)

    return run


DEPLOY = [
    "railway run",
    "orion backup create",
    "railway run",
    "orion db",
    "orion ops release-id",
    "railway deployment list",
    "railway deployment list",
    "vercel api",
    "railway variables",
    "railway variables",
    "railway up",
    "railway up",
    "orion ops wait-release",
    "orion ops render-vercel",
    "vercel deploy",
]
ROLLBACK = ["railway api", "railway api", "vercel rollback", "orion ops wait-release"]


def test_staging_release_runs_every_step_in_order(run_script: Runner) -> None:
    run = run_script("deploy-staging.sh")
    assert run.code == 0, run.stderr
    assert run.verbs() == [*DEPLOY, "orion smoke", "orion guard"]
    with_env = "railway run --service orion-api --environment staging --"
    backup, migrate, rest = run.calls[:2], run.calls[2:4], run.calls[4:]
    assert backup == [f"{with_env} orion backup create --verify", "orion backup create --verify"]
    assert migrate == [f"{with_env} orion db upgrade", "orion db upgrade"]
    assert rest[0] == f"orion ops release-id {STAGING}"
    assert rest[1] == (
        "railway deployment list --service orion-api --environment staging --json --limit 20"
    )
    assert rest[4] == (
        f"railway variables --set RELEASE_ID={RELEASE} --service orion-api "
        "--environment staging --skip-deploys"
    )
    assert rest[6] == "railway up --ci --service orion-api --environment staging"
    assert rest[7] == "railway up --ci --service orion-worker --environment staging"
    assert rest[8] == f"orion ops wait-release {STAGING} --release-id {RELEASE} --timeout 10m"
    assert rest[9].startswith(f"orion ops render-vercel --backend-url {STAGING} --output ")
    assert rest[10].startswith("vercel deploy ") and rest[10].endswith(" --prod --yes")
    assert rest[11] == f"orion smoke {STAGING}"
    assert rest[12].startswith(f"orion guard {STAGING} --duration 5m --report ")
    assert "rollback.sh staging" in rest[12]


def test_every_orion_call_is_a_real_command(run_script: Runner) -> None:
    calls = run_script("deploy-staging.sh", STUB_GUARD="trip").calls
    statuses = {call: orion_command_status(call.split()) for call in calls if call[:6] == "orion "}
    assert len(statuses) >= 6
    assert [call for call, status in statuses.items() if status != "ok"] == []


def test_rollback_targets_are_recorded_before_deploying(run_script: Runner, tmp_path: Path) -> None:
    assert run_script("deploy-staging.sh").code == 0
    state = (tmp_path / "state" / "staging.state").read_text().splitlines()
    assert state == [
        "PREVIOUS_RELEASE=release-before",
        "RAILWAY_API_PREVIOUS=orion-api-live",
        "RAILWAY_WORKER_PREVIOUS=orion-worker-live",
        "VERCEL_PREVIOUS=dpl_live",
    ]


def test_failing_backup_stops_everything_before_migrate(run_script: Runner) -> None:
    run = run_script("deploy-staging.sh", STUB_FAIL="orion backup")
    assert run.code != 0
    assert run.verbs() == ["railway run", "orion backup create"]


def test_failing_migration_deploys_nothing(run_script: Runner) -> None:
    run = run_script("deploy-staging.sh", STUB_FAIL="orion db upgrade")
    assert run.code != 0
    assert run.verbs() == ["railway run", "orion backup create", "railway run", "orion db"]


def test_failing_smoke_rolls_back_and_fails(run_script: Runner) -> None:
    run = run_script("deploy-staging.sh", STUB_FAIL="orion smoke")
    assert run.code == 1
    assert run.verbs() == [*DEPLOY, "orion smoke", *ROLLBACK]
    assert "orion guard" not in run.verbs()
    api, worker, dashboard, wait = run.calls[-4:]
    assert '{"id":"orion-api-live"}' in api and "deploymentRollback(id: $id)" in api
    assert '{"id":"orion-worker-live"}' in worker
    assert dashboard == "vercel rollback dpl_live --yes --timeout 5m"
    assert wait == f"orion ops wait-release {STAGING} --release-id release-before --timeout 10m"


def test_guard_trip_rolls_back_through_rollback_sh_and_fails(run_script: Runner) -> None:
    run = run_script("deploy-staging.sh", STUB_GUARD="trip")
    assert run.code == 1
    assert run.verbs() == [*DEPLOY, "orion smoke", "orion guard", *ROLLBACK]
    assert "guard tripped and rolled back" in run.stderr


def test_inconclusive_guard_fails_without_rolling_back(run_script: Runner) -> None:
    run = run_script("deploy-staging.sh", STUB_GUARD="inconclusive")
    assert run.code == 2
    assert run.verbs()[-1] == "orion guard"
    assert "could not judge" in run.stderr


@pytest.mark.parametrize(
    "failing", ["railway up --ci --service orion-worker", "vercel deploy", "orion ops wait-release"]
)
def test_a_failed_deploy_step_rolls_back(run_script: Runner, failing: str) -> None:
    run = run_script("deploy-staging.sh", STUB_FAIL=failing)
    assert run.code == 1
    assert run.verbs()[-len(ROLLBACK) :] == ROLLBACK
    assert "orion smoke" not in run.verbs()


def test_production_needs_a_release_tag(run_script: Runner) -> None:
    for tag in ("", "latest", "v1.2", "v1.2.3; rm -rf /"):
        run = run_script("deploy-production.sh", RELEASE_TAG=tag)
        assert run.code == 1
        assert run.calls == []
        assert "RELEASE_TAG" in run.stderr


def test_production_release_watches_for_15_minutes(run_script: Runner) -> None:
    run = run_script(
        "deploy-production.sh", RELEASE_TAG="v1.4.0", GUARD_PROMETHEUS_URL="https://prom.example"
    )
    assert run.code == 0, run.stderr
    assert run.verbs() == [*DEPLOY, "orion smoke", "orion guard"]
    assert all("--environment production" in run.calls[i] for i in (0, 2, 5, 6))
    guard = run.calls[-1]
    assert "--duration 15m" in guard and "--prometheus https://prom.example" in guard
    assert "rollback.sh production" in guard


def test_missing_release_id_stops_before_anything(run_script: Runner) -> None:
    run = run_script("deploy-staging.sh", RELEASE_ID="")
    assert run.code != 0
    assert run.calls == []


def test_rollback_without_recorded_targets_refuses(run_script: Runner) -> None:
    run = run_script("rollback.sh", "staging")
    assert run.code == 1
    assert run.calls == []
    assert "railway deployment list" in run.stderr


def test_rollback_by_hand_with_explicit_targets(run_script: Runner) -> None:
    run = run_script(
        "rollback.sh", "production", RAILWAY_API_PREVIOUS="dep-123", PREVIOUS_RELEASE="v1.3.0"
    )
    assert run.code == 0, run.stderr
    assert run.verbs() == ["railway api", "orion ops wait-release"]
    assert '{"id":"dep-123"}' in run.calls[0]


def test_rollback_refuses_injected_targets(run_script: Runner) -> None:
    run = run_script("rollback.sh", "staging", RAILWAY_API_PREVIOUS='x" ; touch pwned')
    assert run.code == 1
    assert run.calls == []


def test_smoke_test_resolves_environments(run_script: Runner) -> None:
    assert run_script("smoke-test.sh", "staging").calls == [f"orion smoke {STAGING}"]
    explicit = run_script("smoke-test.sh", "https://other.example")
    assert explicit.calls == ["orion smoke https://other.example"]
    assert run_script("smoke-test.sh", "nowhere").code == 1


def test_scripts_are_shellcheck_clean() -> None:
    scripts = sorted(str(path) for path in SCRIPTS.glob("*.sh"))
    result = subprocess.run(
        ["shellcheck", "--external-sources", *scripts],
        capture_output=True,
        text=True,
        check=False,
        cwd=project_root(),
    )
    assert result.returncode == 0, result.stdout
