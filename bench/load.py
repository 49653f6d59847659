"""Open-loop load: requests start on a fixed schedule whatever the previous ones do.

A closed loop (send, wait, send) hides queueing delay — the coordinated-omission problem —
so latency here is measured from each request's *scheduled* start.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    duration: float = 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    def summary(self) -> dict[str, float]:
        ok = len(self.latencies)
        return {
            "requests": ok + self.errors,
            "errors": self.errors,
            "rate": (ok + self.errors) / self.duration if self.duration else 0.0,
            "p50_ms": self.percentile(50) * 1000,
            "p90_ms": self.percentile(90) * 1000,
            "p99_ms": self.percentile(99) * 1000,
            "max_ms": max(self.latencies, default=float("nan")) * 1000,
            "mean_ms": statistics.fmean(self.latencies) * 1000 if ok else float("nan"),
        }


async def open_loop(
    send: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    rate: float,
    seconds: float,
    client: httpx.AsyncClient,
    ok: Callable[[httpx.Response], bool] = lambda r: r.status_code < 400,
) -> LoadResult:
    result = LoadResult()
    interval = 1 / rate
    start = time.perf_counter()
    tasks = []

    async def one(number: int, scheduled: float) -> None:
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        try:
            response = await send(client, number)
        except httpx.HTTPError:
            result.errors += 1
            return
        result.statuses[response.status_code] = result.statuses.get(response.status_code, 0) + 1
        if ok(response):
            result.latencies.append(time.perf_counter() - scheduled)
        else:
            result.errors += 1

    total = int(rate * seconds)
    for number in range(total):
        tasks.append(asyncio.create_task(one(number, start + number * interval)))
    await asyncio.gather(*tasks)
    result.duration = time.perf_counter() - start
    return result
