"""Health under a hung dependency: ``/health/detailed`` latency when Temporal and Redis accept
TCP connections and never answer.

    uv run python -m bench.health.hung --seconds 30 --rate 5

Runs twice: with the health cache off (every request waits for the probes: worst case) and with
the default cache. Target: p99 <= HEALTH_TIMEOUT_SECONDS + 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.harness import machine, services, start_api, write_result
from bench.load import open_loop

TIMEOUT_SECONDS = 2.0


@contextmanager
def blackhole() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
                held.append(connection)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


async def measure(url: str, rate: float, seconds: float) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:

        async def send(c: httpx.AsyncClient, _n: int) -> httpx.Response:
            return await c.get("/health/detailed")

        result = await open_loop(
            send,
            rate=rate,
            seconds=seconds,
            client=client,
            ok=lambda r: r.status_code in (200, 503),
        )
    return result.summary()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=5)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    results = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        services(Path(tmp)) as running,
        blackhole() as temporal_port,
        blackhole() as redis_port,
    ):
        for label, cache in (("cache off", "0"), ("cache 1 s", "1")):
            env = running.env(
                TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}",
                REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
                HEALTH_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
                HEALTH_CACHE_SECONDS=cache,
            )
            url = start_api(running, env)
            results[label] = asyncio.run(measure(url, args.rate, args.seconds))
            running.processes.pop().terminate()
    bound = (TIMEOUT_SECONDS + 0.1) * 1000
    header = f"{'health cache':<14}{'requests':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(f"{header}  bound {bound:.0f} ms")
    for label, summary in results.items():
        print(
            f"{label:<14}{summary['requests']:>10.0f}{summary['p50_ms']:>9.1f}"
            f"{summary['p99_ms']:>9.1f}{summary['max_ms']:>9.1f}"
        )
    path = write_result(
        "health_hung",
        {"machine": machine(), "timeout_seconds": TIMEOUT_SECONDS, "rate": args.rate,
         "seconds": args.seconds, "results": results},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
