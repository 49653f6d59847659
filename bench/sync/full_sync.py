"""Sync throughput: full sync of N emulator customers, then an incremental re-sync after churn.

    uv run python -m bench.sync.full_sync --customers 100000 --churn 0.01

Prints a table and writes bench/results/sync_throughput.json. The emulator, the API and one
worker run as separate processes on loopback; Postgres is ORION_BENCH_DATABASE_URL's server
(e.g. postgresql://postgres@127.0.0.1:5432/test) or an embedded one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    machine,
    services,
    start_api,
    start_emulator,
    token,
    wait_for_worker,
    write_result,
)
from bench.profile import CpuMeter, recording, summarise

STRIPE_KEY = "sk_test_orion_demo"


def wait_for_new_run(api: httpx.Client, connection: str, seen: set[str]) -> dict[str, Any]:
    while True:
        runs = api.get("/api/v1/sync-runs", params={"connection_id": connection, "limit": 1}).json()
        run = runs["data"][0] if runs["data"] else None
        if run and run["id"] not in seen and run["status"] != "running":
            return dict(run)
        time.sleep(0.25)


def sync(api: httpx.Client, connection: str) -> dict[str, Any]:
    seen = {
        r["id"]
        for r in api.get("/api/v1/sync-runs", params={"connection_id": connection}).json()["data"]
    }
    assert api.post(f"/api/v1/connections/{connection}/sync").status_code == 202
    run = wait_for_new_run(api, connection, seen)
    started = datetime.fromisoformat(run["started_at"])
    finished = datetime.fromisoformat(run["finished_at"])
    run["seconds"] = (finished - started).total_seconds()
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--churn", type=float, default=0.01)
    parser.add_argument("--profile", type=Path, help="Record a py-spy profile of the worker.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, services(Path(tmp)) as running:
        emulator = start_emulator(running, args.customers)
        env = running.env(STRIPE_API_BASE=emulator, RATELIMIT_ENABLED="false")
        worker = running.spawn("worker", [sys.executable, "-m", "orion", "worker"], env)
        url = start_api(running, env)
        pids = {"emulator": running.processes[0].pid, "worker": worker.pid}
        pids["api"] = running.processes[-1].pid
        wait_for_worker(running)
        tenant = uuid.uuid4()
        headers = {"Authorization": f"Bearer {token(tenant)}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as api:
            created = api.post(
                "/api/v1/connections", json={"provider": "stripe", "api_key": STRIPE_KEY}
            )
            created.raise_for_status()
            connection = created.json()["id"]
            with CpuMeter(pids) as cpu, recording(worker.pid, args.profile):
                full = sync(api, connection)
            churned = httpx.post(
                f"{emulator}/_emulator/stripe/accounts/{STRIPE_KEY}/churn",
                json={"customers": {"update_fraction": args.churn}, "step_seconds": 0},
                timeout=120,
            )
            churned.raise_for_status()
            incremental = sync(api, connection)
    rate = full["records_upserted"] / full["seconds"]
    fraction = incremental["seconds"] / full["seconds"]
    rows = [
        ("full sync", full, f"{rate:>12.0f}"),
        ("incremental after churn", incremental, ""),
    ]
    print(f"{'scenario':<28}{'records':>10}{'pages':>8}{'seconds':>10}{'records/s':>12}")
    for label, run, extra in rows:
        print(
            f"{label:<28}{run['records_upserted']:>10}{run['pages']:>8}"
            f"{run['seconds']:>10.2f}{extra}"
        )
    print(f"incremental / full time: {fraction:.2%}")
    busy = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in cpu.spent.items())
    print(
        f"CPU during the full sync ({full['seconds']:.1f} s on {machine()['cpus']} cores): {busy}"
    )
    if args.profile:
        print(summarise(args.profile))
    path = write_result(
        "sync_throughput",
        {"machine": machine(), "customers": args.customers, "churn": args.churn,
         "full": full, "incremental": incremental, "records_per_second": rate,
         "incremental_fraction": fraction, "cpu_seconds_during_full_sync": cpu.spent},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
