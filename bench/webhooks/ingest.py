"""Webhook ingest: signed Stripe deliveries per second into ``orion api`` vs a bare endpoint.

    uv run python -m bench.webhooks.ingest --seconds 10 --concurrency 64

Five servers, one uvicorn worker each, loaded the same way: ``bare`` (FastAPI, reads the
body, answers 200: the ceiling), ``orion-without-temporal`` (the inbox: verify, parse, group
commit; what the target measures), ``orion-access-log`` (the same with the production JSON
access log), ``orion-no-group-commit`` (one row per transaction, 10 transactions at a time,
i.e. what a plain INSERT + COMMIT per request does) and ``orion`` (the inbox plus the dispatch
of every stored event to a Temporal dev server on the same machine). Every orion 2xx is
checked against the rows in Postgres afterwards (no acknowledgement without a row).

The load comes from a small keep-alive HTTP/1.1 client on raw sockets: httpx alone tops out
near the rates measured here on a 2-core machine, and would measure itself. Postgres is
ORION_BENCH_DATABASE_URL's server (e.g. postgresql://postgres@127.0.0.1:5432/postgres) or an
embedded one. Writes bench/results/webhook_ingest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import insert, text

from bench.harness import Services, machine, services, start_api, write_result
from bench.profile import CpuMeter, recording, summarise
from orion.connections.models import connections
from orion.platform.config import read_settings
from orion.platform.crypto import Vault
from orion.platform.db import Database, PoolOptions, create_engine
from orion.platform.processes import free_port, wait_for_port
from orion.tenants.repository import create_tenant

SECRET = "whsec_bench_ingest"


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    acknowledged: int = 0  # every 2xx, warm-up included (compared with the rows stored)
    answered: int = 0  # every response, warm-up included (divides the server's CPU time)

    def record(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def summary(self, seconds: float) -> dict[str, Any]:
        ordered = sorted(self.latencies) or [0.0]
        return {
            "requests": len(self.latencies),
            "req_per_s": round(len(self.latencies) / seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 2),
            "statuses": self.statuses,
            "connection_errors": self.errors,
            "acknowledged_total": self.acknowledged,
        }


def stripe_requests(host: str, path: str, ready: int) -> Iterator[bytes]:
    """Distinct, correctly signed ``customer.updated`` deliveries (~1.3 KB each), endless.

    The first ``ready`` are built up front so that signing does not load the machine while
    it is measured; if a fast run needs more, the rest are built as they are sent.
    """
    fresh = _signed_deliveries(host, path)
    return itertools.chain(list(itertools.islice(fresh, ready)), fresh)


def _signed_deliveries(host: str, path: str) -> Iterator[bytes]:
    now = int(time.time())
    for n in itertools.count():
        event = {
            "id": f"evt_bench_{uuid.uuid4().hex}",
            "object": "event",
            "api_version": "2024-06-20",
            "created": now,
            "type": "customer.updated",
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {
                "object": {
                    "id": f"cus_bench{n:08d}",
                    "object": "customer",
                    "created": now - 86400,
                    "email": f"customer{n}@example.com",
                    "name": f"Customer {n}",
                    "phone": "+1 555 0100",
                    "address": {"city": "Paris", "country": "FR", "line1": "1 rue de Rivoli",
                                "line2": None, "postal_code": "75001", "state": None},
                    "metadata": {"plan": "pro", "seats": str(n % 50)},
                    "balance": 0, "currency": "eur", "delinquent": False,
                    "description": None, "invoice_prefix": f"B{n:06d}", "livemode": False,
                    "preferred_locales": ["fr"], "tax_exempt": "none",
                },
                "previous_attributes": {"email": f"old{n}@example.com"},
            },
        }  # fmt: skip
        body = json.dumps(event).encode()
        digest = hmac.new(SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Stripe-Signature: t={now},v1={digest}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        yield head.encode() + body


async def _response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    status = int((await reader.readline()).split(b" ", 2)[1])
    length, close = 0, False
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"connection" and value.strip().lower() == b"close":
            close = True
    await reader.readexactly(length)
    return status, close


async def load(
    port: int, requests: Iterator[bytes], concurrency: int, seconds: float, warmup: float
) -> tuple[Stats, dict[str, Any]]:
    stats = Stats()
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    async def sender() -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while (now := time.monotonic()) < stop_at:
            try:
                if connection is None:
                    connection = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = connection
                began = time.perf_counter()
                writer.write(next(requests))
                status, close = await _response(reader)
                stats.acknowledged += 200 <= status < 300
                stats.answered += 1
                if now >= measure_from:
                    stats.record(status, time.perf_counter() - began)
                if close:
                    writer.close()
                    connection = None
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                stats.errors += 1
                connection = None
                await asyncio.sleep(0.01)
            except StopIteration:
                return

    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return stats, stats.summary(seconds)


async def paced(
    port: int,
    requests: Iterator[bytes],
    rate: float,
    seconds: float,
    warmup: float,
    connections: int = 64,
) -> tuple[Stats, dict[str, Any]]:
    """Open loop, as wrk2 does it: ``connections`` keep-alive connections share the rate, each
    on its own fixed schedule, whatever the answers do; each request's latency runs from its
    scheduled departure, so a slow answer delays the next ones and its queueing is counted.
    (A task and a timer per request made the load generator itself the bottleneck above
    ~2,000 requests/s, and new connections opened in bursts after any stall.)"""
    stats = Stats()
    start = time.perf_counter() + 0.05
    stop_at, measure_from = start + warmup + seconds, start + warmup
    interval = connections / rate

    async def connection(offset: float) -> None:
        scheduled = start + offset
        link: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while scheduled < stop_at:
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                if link is None:
                    link = await asyncio.open_connection("127.0.0.1", port)
                reader, writer = link
                writer.write(next(requests))
                status, close = await _response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                stats.errors += 1
                link = None
            else:
                stats.acknowledged += 200 <= status < 300
                stats.answered += 1
                if scheduled >= measure_from:
                    stats.record(status, time.perf_counter() - scheduled)
                if close:
                    link[1].close()
                    link = None
            scheduled += interval
        if link is not None:
            link[1].close()

    await asyncio.gather(*(connection(n / rate) for n in range(connections)))
    return stats, stats.summary(seconds)


async def _stripe_connection(app_url: str) -> tuple[uuid.UUID, Database]:
    database = Database(create_engine(app_url, PoolOptions(size=2)))
    keys = read_settings().encryption_keys  # the keys `orion api` will read (development.env)
    vault = Vault([key.get_secret_value() for key in keys])
    tenant = uuid.uuid4()
    credentials, secrets = vault.seal(b"sk_test_bench"), vault.seal(json.dumps([SECRET]).encode())
    async with database.tenant_transaction(tenant) as session:
        await create_tenant(session, tenant, "bench")
        connection = await session.scalar(
            insert(connections)
            .values(
                tenant_id=tenant, provider="stripe", external_account_id="acct_bench",
                credentials=credentials.token, credentials_key_id=credentials.key_id,
                webhook_secrets=secrets.token, webhook_secrets_key_id=secrets.key_id,
            )
            .returning(connections.c.id)
        )  # fmt: skip
    assert connection is not None
    return connection, database


async def _stored(database: Database, connection: uuid.UUID) -> int:
    async with database.system_transaction() as session:
        tenant = await session.scalar(text("SELECT orion_connection_tenant(:c)"), {"c": connection})
    async with database.tenant_transaction(tenant) as session:
        count = await session.scalar(
            text("SELECT count(*) FROM webhook_events WHERE connection_id = :c"), {"c": connection}
        )
    return int(count or 0)


async def _orion(
    app_url: str, port: int, count: int, args: argparse.Namespace, profile: Path | None, pid: int
) -> dict[str, Any]:
    connection, database = await _stripe_connection(app_url)
    try:
        path = f"/api/v1/webhooks/stripe/{connection}"
        requests = stripe_requests("127.0.0.1", path, count)
        summary = await _sweep(port, pid, profile, requests, args)
        summary["rows_stored"] = await _stored(database, connection)
        # Never a 2xx without a committed row (the rows may exceed the 2xx: a 503 can follow
        # a commit that did land, and the provider's retry is then a duplicate).
        assert summary["rows_stored"] >= summary["acknowledged_total"], summary
    finally:
        await database.dispose()
    return summary


async def _sweep(
    port: int, pid: int, profile: Path | None, requests: Iterator[bytes], args: argparse.Namespace
) -> dict[str, Any]:
    """Closed loop at each concurrency, then the open loop at half the best rate."""
    levels: dict[int, dict[str, Any]] = {}
    for concurrency in args.concurrency:
        levels[concurrency] = await _measured(
            pid, profile if concurrency == max(args.concurrency) else None,
            load(port, requests, concurrency, args.seconds, args.warmup),
        )  # fmt: skip
    best = max(levels.values(), key=lambda level: float(level["req_per_s"]))
    half = round(best["req_per_s"] / 2, 1)
    at_half = await _measured(pid, None, paced(port, requests, half, args.seconds, args.warmup))
    return {
        "max_req_per_s": best["req_per_s"],
        "by_concurrency": levels,
        "half_rate": {"req_per_s_offered": half, **at_half},
        "acknowledged_total": sum(
            level["acknowledged_total"] for level in [*levels.values(), at_half]
        ),
    }


def start_bare(running: Services) -> tuple[int, int]:
    port = free_port()
    process = running.spawn(
        "bare",
        [sys.executable, "-m", "uvicorn", "bench.webhooks.bare:app", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        running.env(),
    )  # fmt: skip
    wait_for_port("127.0.0.1", port, 60, process)
    return port, process.pid


async def _bare(port: int, count: int, args: argparse.Namespace, pid: int) -> dict[str, Any]:
    requests = stripe_requests("127.0.0.1", "/hook", count)
    return await _sweep(port, pid, _profile_path(args, "bare"), requests, args)


async def _measured(
    pid: int, profile: Path | None, loading: Coroutine[Any, Any, tuple[Stats, dict[str, Any]]]
) -> dict[str, Any]:
    """The load's summary plus the server's CPU time per answered request (user + system)."""
    server = psutil.Process(pid)
    server.cpu_percent()  # starts the interval read below
    psutil.cpu_percent()
    with CpuMeter({"server": pid, "client": os.getpid()}) as cpu, recording(pid, profile):
        stats, summary = await loading
    summary["cpu_busy"] = round(server.cpu_percent() / 100, 2)
    summary["machine_busy"] = round(psutil.cpu_percent() / 100 * (psutil.cpu_count() or 1), 2)
    answered = max(stats.answered, 1)
    summary["server_cpu_us_per_request"] = round(cpu.spent["server"] / answered * 1e6)
    # Where the rest of the machine went, per answered request (the load generator included).
    summary["cpu_us_per_request"] = {
        name: round(seconds / answered * 1e6) for name, seconds in cpu.spent.items()
    }
    return summary


def _profile_path(args: argparse.Namespace, name: str) -> Path | None:
    return args.profile / f"{name}.txt" if args.profile else None


# Orion runs as `orion api` does, on development.env with: no rate limits (one sender would
# exhaust a connection's webhook budget in a second) and LOG_LEVEL=WARNING (no access log),
# except in "orion-access-log", which shows what the per-request access log costs. The inbox
# variants (no Temporal) run first: every event the full "orion" dispatches is a workflow the
# co-located Temporal dev server keeps working on afterwards, on the same two cores.
NO_TEMPORAL = {"TEMPORAL_ADDRESS": ""}
VARIANTS: dict[str, dict[str, str]] = {
    "orion-without-temporal": NO_TEMPORAL,
    "orion-access-log": {**NO_TEMPORAL, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"},
    "orion-no-group-commit": {
        **NO_TEMPORAL, "WEBHOOKS_BATCH_MAX_ROWS": "1", "WEBHOOKS_WRITERS": "10",
    },
    "orion": {},
}  # fmt: skip


def run(args: argparse.Namespace) -> dict[str, Any]:
    rounds = len(args.concurrency) + 1
    count = int((args.seconds + args.warmup) * 6000 * rounds)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, services(Path(tmp)) as running:
        port, pid = start_bare(running)
        results["bare"] = asyncio.run(_bare(port, count, args, pid))
        for name, extra in VARIANTS.items():
            if args.only and name not in args.only:
                continue
            env = running.env(RATELIMIT_ENABLED="false", DATABASE_POOL_SIZE="12", **extra)
            port = int(start_api(running, env).rsplit(":", 1)[1])
            pid = running.processes[-1].pid
            profile = _profile_path(args, name)
            results[name] = asyncio.run(_orion(running.app_url, port, count, args, profile, pid))
    return results


def others(level: dict[str, Any]) -> str:
    """CPU per request of PostgreSQL, Temporal and the load generator."""
    spent = level["cpu_us_per_request"]
    return f"{spent['postgres']}/{spent['temporal']}/{spent['client']}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--only", nargs="*", choices=list(VARIANTS), help="Orion variants to run.")
    parser.add_argument("--profile", type=Path, help="Record py-spy profiles into this folder.")
    args = parser.parse_args()
    results = run(args)
    if args.profile:
        for name in results:
            print(summarise(args.profile / f"{name}.txt"), end="\n\n")
    print(
        f"{'server':<24}{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'cpu us/req':>11}"
        f"{'busy':>6}{'cores':>6}{'pg/tmp/client us':>18}  statuses"
    )
    for name, result in results.items():
        rows = [(str(c), level) for c, level in result["by_concurrency"].items()]
        rows.append(("half", result["half_rate"]))
        for clients, level in rows:
            print(
                f"{name:<24}{clients:>8}{level['req_per_s']:>9}{level['p50_ms']:>9}"
                f"{level['p99_ms']:>9}{level['server_cpu_us_per_request']:>11}"
                f"{level['cpu_busy']:>6}{level['machine_busy']:>6}{others(level):>18}"
                f"  {level['statuses']}"
            )
        if "rows_stored" in result:
            stored, acknowledged = result["rows_stored"], result["acknowledged_total"]
            print(f"{name:<24}rows stored {stored} >= 2xx answered {acknowledged}")
    bare = max(results["bare"]["max_req_per_s"], 1)
    ratios = {n: round(r["max_req_per_s"] / bare, 3) for n, r in results.items() if n != "bare"}
    for name, ratio in ratios.items():
        print(f"{name} / bare (best rate of each): {ratio:.0%}")
    path = write_result(
        "webhook_ingest",
        {"machine": machine(), "seconds": args.seconds, "concurrency": args.concurrency,
         "results": results, "over_bare": ratios},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
