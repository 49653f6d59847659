"""Deploy switch time and failed requests while a release is replaced.

    uv run python -m bench.release.switch --replacements 5 --naive 2

Behind ``orion ops proxy`` (the self-hosted path), each replacement starts the new release in
the idle slot under steady load (20 liveness + 10 signed-in reads per second), waits for its
readiness, then SIGTERMs the old one. Measured per replacement: process start -> ready ->
first proxied answer from it ("switch"), how long the old one took to drain and exit, and
every request that did not get a 200. ``--naive`` adds the baseline without a proxy: stop the
old release, start the new one on the same port. Writes bench/results/release_switch.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench.release.common import (
    CHECK_INTERVAL,
    CHECK_TIMEOUT,
    DRAIN_SECONDS,
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

RATES = {"health": 20.0, "read": 10.0}


def is_ready(url: str) -> bool:
    return status(f"{url}/health/ready") == 200


def proxied(stack: Stack, replacements: int) -> list[dict[str, Any]]:
    slot_a, slot_b, proxy_port = free_ports(3)
    proxy = f"http://127.0.0.1:{proxy_port}"
    current = stack.release("release-0", slot_a)
    stack.proxy(proxy_port, [slot_a, slot_b])
    wait_until(partial(is_ready, proxy), 180, "release-0 behind the proxy")
    rows: list[dict[str, Any]] = []
    with steady_load(proxy, RATES) as load:
        wait_until(lambda: len(load.answers) >= 30, 30, "steady load")
        for number in range(1, replacements + 1):
            name, slot = f"release-{number}", (slot_a, slot_b)[number % 2]
            started = time.monotonic()
            new = stack.release(name, slot)
            ready = wait_until(partial(is_ready, f"http://127.0.0.1:{slot}"), 180, name)
            first = load.wait_for_release(name, started)
            terminated = time.monotonic()
            code = terminate(current)
            exited = time.monotonic()
            load.settle(exited)
            rows.append(
                {
                    "replacement": number,
                    "start_to_ready_s": round(ready - started, 3),
                    "ready_to_first_proxied_answer_s": round(first - ready, 3),
                    "start_to_traffic_s": round(first - started, 3),
                    "old_release_drain_and_exit_s": round(exited - terminated, 3),
                    "old_release_exit_code": code,
                    "requests": len(load.since(started)),
                    "failed": len(load.failed(started)),
                }
            )
            print(rows[-1], flush=True)
            current = new
    return rows


def naive(stack: Stack, restarts: int) -> list[dict[str, Any]]:
    (port,) = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    current = stack.release("naive-0", port, API_SHUTDOWN_DRAIN_SECONDS="0")
    wait_until(partial(is_ready, url), 180, "naive-0")
    rows: list[dict[str, Any]] = []
    with steady_load(url, RATES) as load:
        wait_until(lambda: len(load.answers) >= 30, 30, "steady load")
        for number in range(1, restarts + 1):
            started = time.monotonic()
            terminate(current)
            current = stack.release(f"naive-{number}", port, API_SHUTDOWN_DRAIN_SECONDS="0")
            wait_until(partial(is_ready, url), 180, "the restarted release")
            load.settle(time.monotonic())
            failed = load.failed(started)
            gap = (max(a.at for a in failed) - min(a.at for a in failed)) if failed else 0.0
            rows.append(
                {
                    "restart": number,
                    "requests": len(load.since(started)),
                    "failed": len(failed),
                    "unavailable_s": round(gap, 3),
                }
            )
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replacements", type=int, default=5)
    parser.add_argument("--naive", type=int, default=2, help="same-port restarts (0 = skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orion-switch-") as work:
        environment = machine()
        with stack(Path(work) / "proxied") as proxied_stack:
            replaced = proxied(proxied_stack, args.replacements)
        restarted: list[dict[str, Any]] = []
        if args.naive:
            with stack(Path(work) / "naive") as naive_stack:
                restarted = naive(naive_stack, args.naive)
    result = {
        "machine": environment,
        "settings": {
            "load_per_second": RATES,
            "proxy_check_interval_s": CHECK_INTERVAL,
            "proxy_check_timeout_s": CHECK_TIMEOUT,
            "api_shutdown_drain_s": DRAIN_SECONDS,
        },
        "proxied": {
            "replacements": replaced,
            "start_to_traffic_s": summary([r["start_to_traffic_s"] for r in replaced]),
            "start_to_ready_s": summary([r["start_to_ready_s"] for r in replaced]),
            "ready_to_first_proxied_answer_s": summary(
                [r["ready_to_first_proxied_answer_s"] for r in replaced]
            ),
            "failed_requests": sum(r["failed"] for r in replaced),
            "requests": sum(r["requests"] for r in replaced),
        },
        "naive_same_port_restart": {
            "restarts": restarted,
            "failed_requests": sum(r["failed"] for r in restarted),
            "requests": sum(r["requests"] for r in restarted),
        },
    }
    print(f"written to {write_result('release_switch', result)}")


if __name__ == "__main__":
    main()
