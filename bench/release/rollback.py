"""Rollback time after the trigger's onset: the guard drill, timed, behind the proxy.

    uv run python -m bench.release.rollback --runs 3

A faulty release (``CHAOS_ERROR_RATE=0.2``: health passes, one signed-in read in five fails)
serves in slot A behind ``orion ops proxy``. ``orion guard`` watches the proxy with the drill's
shortened windows (interval 1 s, window 4 s, error window 3 s, 5 requests minimum). The load
starts once the guard is watching: that instant is the trigger's onset. When the error-rate
rule trips, the guard runs the rollback command, which starts the healthy release in slot B,
waits for its readiness and SIGTERMs A: the same zero-downtime replacement as a deploy.

Measured: onset -> trip (detection), the rollback command's duration, onset -> last failed
request (user-visible damage) and the number of failed requests. The production windows are
fixed by the plan (error rate over 1 minute), so there detection alone is 60 s + one
interval; see docs/benchmarks.md. Writes bench/results/release_rollback.json.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.release.common import (
    ORION,
    Stack,
    free_ports,
    machine,
    stack,
    status,
    steady_load,
    summary,
    terminate,
    wait_until,
    write_result,
)

GUARD_OPTIONS = [
    "--duration", "120s", "--interval", "1s", "--window", "4s", "--error-window", "3s",
    "--health-path", "/health/ready", "--min-requests", "5",
]  # fmt: skip

# Runs as the guard's --rollback-command: start the healthy release in the idle slot, wait
# until it is ready, then SIGTERM the faulty one (it drains, the proxy moves traffic).
ROLLBACK = """
import json, os, signal, subprocess, sys, time, urllib.request
spec = json.loads(open(sys.argv[1]).read())
log = open(spec["log"], "ab")
good = subprocess.Popen(spec["argv"], env=spec["env"], stdout=log, stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL, start_new_session=True)
open(spec["pid_file"], "w").write(str(good.pid))
deadline = time.time() + 180
while time.time() < deadline:
    try:
        if urllib.request.urlopen(spec["ready_url"], timeout=1).status == 200:
            break
    except OSError:
        time.sleep(0.05)
else:
    sys.exit("the healthy release never became ready")
os.killpg(spec["faulty_pid"], signal.SIGTERM)
"""


def drill(stack: Stack, run: int) -> dict[str, Any]:
    slot_a, slot_b, proxy_port = free_ports(3)
    proxy = f"http://127.0.0.1:{proxy_port}"
    faulty = stack.release(f"faulty-{run}", slot_a, CHAOS_ERROR_RATE="0.2")
    stack.proxy(proxy_port, [slot_a, slot_b])
    wait_until(lambda: status(f"{proxy}/health/ready") == 200, 180, "the faulty release")
    good_argv = [*ORION, "api", "--host", "127.0.0.1", "--port", str(slot_b)]
    spec = {
        "argv": good_argv,
        "env": stack.env(RELEASE_ID=f"good-{run}"),
        "log": str(stack.work / f"good-{run}.log"),
        "pid_file": str(stack.work / f"good-{run}.pid"),
        "ready_url": f"http://127.0.0.1:{slot_b}/health/ready",
        "faulty_pid": faulty.pid,
    }
    (stack.work / "spec.json").write_text(json.dumps(spec))
    (stack.work / "rollback.py").write_text(ROLLBACK)
    command = shlex.join(
        [sys.executable, str(stack.work / "rollback.py"), str(stack.work / "spec.json")]
    )
    report = stack.work / f"guard-{run}.json"
    guard_log = stack.work / f"guard-{run}.log"
    with guard_log.open("wb") as out:
        guard = subprocess.Popen(
            [*ORION, "guard", proxy, *GUARD_OPTIONS, "--rollback-command", command,
             "--report", str(report)],
            env=stack.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(lambda: b"guard t=" in guard_log.read_bytes(), 180, "the guard's first sample")
        with steady_load(proxy, {"health": 10.0, "read": 20.0}) as load:
            onset_mono, onset_wall = time.monotonic(), time.time()
            code = guard.wait(timeout=300)
            ended = time.monotonic()
            load.settle(ended)
    finally:
        terminate(guard)
        pid_file = stack.work / f"good-{run}.pid"
        if pid_file.exists():
            stack.adopted.append(int(pid_file.read_text()))  # stopped with the stack
    result: dict[str, Any] = json.loads(report.read_text())
    started_wall = _wall(result["started_at"])
    trip_wall = started_wall + result["trip"]["at"]
    failed = [a for a in load.answers if a.status != 200]
    last_failure = max((a.at for a in failed), default=onset_mono)
    return {
        "run": run,
        "guard_exit": code,
        "rule": result["trip"]["rule"],
        "onset_to_trip_s": round(trip_wall - onset_wall, 3),
        "rollback_command_s": result["rollback"]["seconds"],
        "onset_to_rolled_back_s": round(trip_wall - onset_wall + result["rollback"]["seconds"], 3),
        "onset_to_last_failed_request_s": round(last_failure - onset_mono, 3),
        "failed_requests": len(failed),
        "requests": len(load.answers),
        "smoke_after_rollback_ok": result["smoke"]["ok"],
    }


def _wall(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    environment = machine()
    rows = []
    with tempfile.TemporaryDirectory(prefix="orion-rollback-") as work:
        for run in range(1, args.runs + 1):
            with stack(Path(work) / f"run-{run}") as run_stack:
                rows.append(drill(run_stack, run))
                print(rows[-1], flush=True)
    result = {
        "machine": environment,
        "guard_options": GUARD_OPTIONS,
        "runs": rows,
        "onset_to_trip_s": summary([r["onset_to_trip_s"] for r in rows]),
        "rollback_command_s": summary([r["rollback_command_s"] for r in rows]),
        "onset_to_rolled_back_s": summary([r["onset_to_rolled_back_s"] for r in rows]),
        "onset_to_last_failed_request_s": summary(
            [r["onset_to_last_failed_request_s"] for r in rows]
        ),
    }
    print(f"written to {write_result('release_rollback', result)}")


if __name__ == "__main__":
    main()
