"""`orion up --demo` as a new user runs it: data through the API, then a clean stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from orion.platform.processes import free_port

pytestmark = pytest.mark.e2e


def orion_processes(state_dir: Path, parent: int) -> list[psutil.Process]:
    """Everything `orion up` started: its descendants, plus servers that use the state dir."""
    found = {}
    try:
        for child in psutil.Process(parent).children(recursive=True):
            found[child.pid] = child
    except psutil.NoSuchProcess:
        pass
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(state_dir) in cmdline:
            found[process.pid] = process
    return [p for p in found.values() if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def read_until(process: subprocess.Popen[str], pattern: str, deadline: float) -> str:
    """Console output of `orion up` until ``pattern`` appears (or the deadline passes)."""
    seen = []
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError("orion up did not get there:\n" + "".join(seen))


def start_up(state: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "orion", "up", "--demo", "--port", str(port)]
    return subprocess.Popen(
        [*command, "--state-dir", str(state)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop_up(process: subprocess.Popen[str]) -> float:
    """Ctrl-C, as a person does; returns how long everything took to stop."""
    stopped_at = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    return time.monotonic() - stopped_at


def test_up_demo_serves_synced_data_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    state = tmp_path / "state"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "TEMPORAL_", "STRIPE_", "HUBSPOT_", "REDIS_"))
    }
    env.update(ORION_ENV="development", COLUMNS="400", TERM="dumb")
    first = start_up(state, port, env)
    try:
        output = read_until(first, r"Press Ctrl-C", time.monotonic() + 240)
        assert "postgres   embedded, created" in output
        assert "customers and" in output and "invoices synced" in output
        token = re.search(r"(eyJ[\w-]+\.[\w-]+\.[\w-]+)", output)
        assert token is not None, output
        headers = {"Authorization": f"Bearer {token.group(1)}"}
        base = f"http://127.0.0.1:{port}"
        customers = httpx.get(f"{base}/api/v1/customers", headers=headers, params={"limit": 5})
        assert customers.status_code == 200
        assert len(customers.json()["data"]) == 5
        connections = httpx.get(f"{base}/api/v1/connections", headers=headers).json()
        assert {c["provider"] for c in connections} == {"stripe", "hubspot"}
        assert orion_processes(state, first.pid), "nothing was running?"
        elapsed = stop_up(first)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 0
    assert elapsed < 10, f"stopping took {elapsed:.1f}s"
    time.sleep(0.5)
    assert orion_processes(state, first.pid) == []

    second = start_up(state, port, env)  # reuses the data: same connections, no new ones
    try:
        output = read_until(second, r"Press Ctrl-C", time.monotonic() + 240)
        assert "postgres   embedded, started" in output
        again = httpx.get(f"{base}/api/v1/connections", headers=headers).json()
        assert sorted(c["id"] for c in again) == sorted(c["id"] for c in connections)
        assert stop_up(second) < 10
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
    assert orion_processes(state, second.pid) == []
