"""Rollback drills against real API processes: a faulty release must be caught and replaced.

Each drill starts ``orion api`` with chaos settings (a "faulty release") on a free port, drives
steady load at it, and runs the real ``orion guard`` command with shortened windows and a
rollback command that stops the faulty process and starts a healthy one on the same port. The
guard must trip, roll back within the rule's window + 30 s, and leave a report whose timeline
shows the breach. Every process is started in its own process group and killed at teardown.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from orion.entrypoints.cli import app as cli_app

pytestmark = pytest.mark.chaos

METRICS_TOKEN = "drill-metrics-token"
_ORION_PREFIXES = (
    "ORION_", "RELEASE_ID", "API_", "DATABASE_", "REDIS_", "TEMPORAL_", "STRIPE_", "HUBSPOT_",
    "SUPABASE_", "LOG_", "METRICS_", "SENTRY_", "CHAOS_", "ENCRYPTION_KEYS", "ALLOWED_ORIGINS",
    "TRUSTED_HOSTS", "PROMETHEUS_MULTIPROC_DIR",
)  # fmt: skip

# The rollback: stop the faulty release, start a healthy one on the same port, wait until it
# answers. Written as Python so it does not depend on the test reaping the faulty process.
ROLLBACK_SCRIPT = """
import json, os, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path

here = Path(__file__).parent
spec = json.loads((here / "drill.json").read_text())
(here / "rollback-started").write_text(str(time.time()))
faulty = int((here / "faulty.pid").read_text())
try:
    os.killpg(faulty, signal.SIGTERM)
except ProcessLookupError:
    pass
deadline = time.time() + 20
while True:  # the port is free once the faulty process has exited
    probe = socket.socket()
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", spec["port"]))
        break
    except OSError:
        if time.time() > deadline:
            os.killpg(faulty, signal.SIGKILL)
        time.sleep(0.1)
    finally:
        probe.close()
log = open(here / "healthy.log", "wb")
healthy = subprocess.Popen(
    spec["argv"], env=spec["env"], stdout=log, stderr=subprocess.STDOUT,
    stdin=subprocess.DEVNULL, start_new_session=True,
)
(here / "healthy.pid").write_text(str(healthy.pid))
url = f"http://127.0.0.1:{spec['port']}/health"
while time.time() < deadline + 30:
    try:
        urllib.request.urlopen(url, timeout=1)
        print("rolled back to a healthy release, pid", healthy.pid)
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("the healthy release did not come up")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api_env(**chaos: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ORION_PREFIXES)}
    env.update(
        ORION_ENV="development",
        METRICS_TOKEN=METRICS_TOKEN,
        LOG_LEVEL="WARNING",
        API_SHUTDOWN_GRACE_SECONDS="1",
        PYTHONUNBUFFERED="1",
        **chaos,
    )
    return env


def api_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "orion", "api", "--host", "127.0.0.1", "--port", str(port)]


@dataclass
class Processes:
    """Process groups to kill at teardown, whether the test passed or not."""

    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    pid_files: list[Path] = field(default_factory=list)

    def start(self, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            child = subprocess.Popen(
                argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        self.children.append(child)
        return child

    def stop_all(self) -> None:
        groups = [child.pid for child in self.children]
        groups += [int(p.read_text()) for p in self.pid_files if p.is_file()]
        for group in groups:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        for group in groups:  # the healthy release is not our child: make sure it is gone
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)


@pytest.fixture
def processes() -> Iterator[Processes]:
    registry = Processes()
    try:
        yield registry
    finally:
        registry.stop_all()


def wait_until_up(url: str, child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"API exited with {child.returncode}:\n{log.read_text()[-3000:]}")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"API did not answer /health within 60 s:\n{log.read_text()[-3000:]}")


@contextmanager
def steady_load(url: str, workers: int, pause: float) -> Iterator[list[int]]:
    """``workers`` threads each sending a request, then pausing; yields the statuses seen."""
    statuses: list[int] = []
    stop = threading.Event()

    def worker() -> None:
        with httpx.Client(timeout=15) as client:
            while not stop.is_set():
                try:
                    statuses.append(client.get(f"{url}/api/v1/drill").status_code)
                except httpx.HTTPError:
                    statuses.append(0)  # the faulty release going away mid-request
                stop.wait(pause)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    try:
        yield statuses
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)


def run_guard(url: str, report: Path, *options: str, timeout: float = 120) -> int:
    env = api_env()
    result = subprocess.run(
        [sys.executable, "-m", "orion", "guard", url, "--report", str(report), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,
    )
    (report.parent / "guard.log").write_text(result.stdout + result.stderr)
    return result.returncode


def guard_in_process(url: str, report: Path, *options: str) -> int:
    """The same ``orion guard`` command without a new interpreter (start-up costs seconds)."""
    result = CliRunner().invoke(cli_app, ["guard", url, "--report", str(report), *options])
    (report.parent / "guard.log").write_text(result.output)
    return result.exit_code


@dataclass
class Drill:
    url: str
    port: int
    directory: Path
    faulty: subprocess.Popen[bytes]

    @property
    def rollback_command(self) -> str:
        return f"{shlex.quote(sys.executable)} {shlex.quote(str(self.directory / 'rollback.py'))}"


@pytest.fixture
def start_release(processes: Processes, tmp_path: Path) -> Callable[..., Drill]:
    def start(**chaos: str) -> Drill:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = tmp_path / "faulty.log"
        faulty = processes.start(api_argv(port), api_env(**chaos), log)
        (tmp_path / "faulty.pid").write_text(str(faulty.pid))
        spec = {"port": port, "argv": api_argv(port), "env": api_env()}
        (tmp_path / "drill.json").write_text(json.dumps(spec))
        (tmp_path / "rollback.py").write_text(ROLLBACK_SCRIPT)
        processes.pid_files.append(tmp_path / "healthy.pid")
        wait_until_up(url, faulty, log)
        return Drill(url, port, tmp_path, faulty)

    return start


def read_report(path: Path) -> dict[str, Any]:
    assert path.is_file(), (path.parent / "guard.log").read_text()
    report: dict[str, Any] = json.loads(path.read_text())
    return report


def assert_rolled_back(drill: Drill, report: dict[str, Any], rule: str, load_started: float,
                       window: float) -> None:  # fmt: skip
    assert report["outcome"] == "rolled_back", report["notes"]
    assert report["trip"]["rule"] == rule
    assert report["rollback"]["ok"] is True, report["rollback"]
    started = float((drill.directory / "rollback-started").read_text())
    assert started - load_started <= window + 30  # the plan's promise, shortened windows
    breached = [entry for entry in report["timeline"] if rule in entry["breached"]]
    assert breached, report["timeline"]
    assert report["timeline"][-1]["tripped"] == rule
    assert "smoke" in report and report["smoke"] is not None
    # The same URL now serves the healthy release, and the faulty one is gone.
    assert drill.faulty.wait(timeout=10) is not None
    healthy_pid = int((drill.directory / "healthy.pid").read_text())
    assert healthy_pid != drill.faulty.pid
    with httpx.Client(timeout=10) as client:
        answers = {client.get(f"{drill.url}/api/v1/drill").status_code for _ in range(20)}
        assert max(answers) < 500, answers


def test_error_rate_drill_rolls_back(start_release: Callable[..., Drill]) -> None:
    drill = start_release(CHAOS_ERROR_RATE="0.2")
    report_path = drill.directory / "report.json"
    with steady_load(drill.url, workers=2, pause=0.25) as statuses:
        load_started = time.time()
        code = run_guard(
            drill.url, report_path,
            "--duration", "60s", "--interval", "1s", "--window", "4s",
            "--error-window", "3s", "--health-path", "/health", "--min-requests", "5",
            "--metrics-token", METRICS_TOKEN, "--rollback-command", drill.rollback_command,
        )  # fmt: skip
    report = read_report(report_path)
    assert code == 1, report
    assert_rolled_back(drill, report, "error_rate", load_started, window=3)
    assert 500 in statuses
    worst = max(e["error_rate"] or 0 for e in report["timeline"])
    assert worst > 0.05


def test_latency_drill_rolls_back(start_release: Callable[..., Drill]) -> None:
    drill = start_release(CHAOS_LATENCY_SECONDS="4")
    report_path = drill.directory / "report.json"
    with steady_load(drill.url, workers=8, pause=0.0):
        load_started = time.time()
        # In-process this time (the error-rate drill covers the separate process): the
        # interpreter start-up it saves keeps the drill well inside its minute.
        code = guard_in_process(
            drill.url, report_path,
            "--duration", "60s", "--interval", "1s", "--window", "6s",
            "--latency-window", "3s", "--health-path", "/health", "--min-requests", "4",
            "--metrics-token", METRICS_TOKEN, "--rollback-command", drill.rollback_command,
        )  # fmt: skip
    report = read_report(report_path)
    assert code == 1, report
    assert_rolled_back(drill, report, "p95_latency", load_started, window=3)
    assert max(e["p95_seconds"] or 0 for e in report["timeline"]) > 3


@pytest.fixture(scope="module")
def healthy_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One healthy release shared by the tests that only watch it."""
    registry = Processes()
    try:
        port = free_port()
        log = tmp_path_factory.mktemp("healthy") / "api.log"
        child = registry.start(api_argv(port), api_env(), log)
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, child, log)
        yield url
    finally:
        registry.stop_all()


def test_healthy_release_exits_0(healthy_api: str, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    marker = tmp_path / "rolled-back"
    with steady_load(healthy_api, workers=2, pause=0.2):
        code = guard_in_process(
            healthy_api, report_path,
            "--duration", "6s", "--interval", "1s", "--window", "3s", "--error-window", "2s",
            "--health-path", "/health", "--min-requests", "3", "--metrics-token", METRICS_TOKEN,
            "--rollback-command", f"touch {shlex.quote(str(marker))}",
        )  # fmt: skip
    report = read_report(report_path)
    assert code == 0, report
    assert report["outcome"] == "healthy" and report["trip"] is None
    assert not marker.exists()
    assert all(entry["health"]["ok"] for entry in report["timeline"])
    assert any((entry["requests"] or 0) >= 3 for entry in report["timeline"])


def test_wrong_metrics_token_cannot_judge_the_release(healthy_api: str, tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    code = guard_in_process(
        healthy_api, report_path, "--duration", "2s", "--interval", "1s",
        "--health-path", "/health", "--metrics-token", "not-the-token",
    )  # fmt: skip
    report = read_report(report_path)
    assert code == 2
    assert any("metrics were never readable" in note for note in report["notes"])
    assert all(entry["metrics"] == "unavailable" for entry in report["timeline"])


def test_unreachable_url_exits_2(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    marker = tmp_path / "rolled-back"
    code = guard_in_process(
        f"http://127.0.0.1:{free_port()}", report_path,
        "--duration", "2s", "--interval", "1s",
        "--rollback-command", f"touch {shlex.quote(str(marker))}",
    )  # fmt: skip
    report = read_report(report_path)
    assert code == 2
    assert report["outcome"] == "inconclusive" and report["rollback"] is None
    assert not marker.exists()
    assert any("never answered" in note for note in report["notes"])
