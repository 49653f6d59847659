"""Footprint: resident memory of the API and the worker, idle and under load.

    uv run python -m bench.footprint.rss --customers 50000 --rate 100 --seconds 20

Idle is measured 5 s after start-up. Load for the worker is a full sync of N customers from the
emulator; load for the API is the read benchmark's open loop over the synced data. The peak RSS
is sampled every 100 ms. Writes bench/results/footprint.json.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench.api.reads import measure as read_load
from bench.harness import machine, services, start_api, start_emulator, token, write_result
from bench.sync.full_sync import STRIPE_KEY, sync

MB = 1024 * 1024


def peak_rss(pid: int, during: Callable[[], Any]) -> tuple[float, Any]:
    """Run ``during`` while sampling the process's RSS; (peak MB, what ``during`` returned)."""
    process = psutil.Process(pid)
    peak = process.memory_info().rss
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = during()
    finally:
        done.set()
        sampler.join()
    return peak / MB, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, services(Path(tmp)) as running:
        emulator = start_emulator(running, args.customers)
        env = running.env(STRIPE_API_BASE=emulator, RATELIMIT_ENABLED="false")
        worker = running.spawn("worker", [sys.executable, "-m", "orion", "worker"], env)
        url = start_api(running, env)
        api = running.processes[-1]
        time.sleep(5)
        idle = {
            "api_mb": psutil.Process(api.pid).memory_info().rss / MB,
            "worker_mb": psutil.Process(worker.pid).memory_info().rss / MB,
        }
        tenant = uuid.uuid4()
        headers = {"Authorization": f"Bearer {token(tenant)}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            created = client.post(
                "/api/v1/connections", json={"provider": "stripe", "api_key": STRIPE_KEY}
            )
            created.raise_for_status()
            connection = created.json()["id"]
            worker_peak, run = peak_rss(worker.pid, lambda: sync(client, connection))
        api_peak, reads = peak_rss(
            api.pid, lambda: asyncio.run(read_load(url, tenant, args.rate, args.seconds))
        )
    loaded = {"api_mb": api_peak, "worker_mb": worker_peak}
    print(f"{'process':<10}{'idle MB':>10}{'under load MB':>16}  load")
    for name, load in (
        ("api", f"{args.rate:.0f} reads/s of 100 rows"),
        ("worker", f"full sync of {args.customers} customers"),
    ):
        print(f"{name:<10}{idle[name + '_mb']:>10.0f}{loaded[name + '_mb']:>16.0f}  {load}")
    path = write_result(
        "footprint",
        {"machine": machine(), "idle": idle, "under_load": loaded, "sync": run, "reads": reads},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
