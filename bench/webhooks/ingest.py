"""Webhook ingest: signed Stripe deliveries per second into ``orion api`` vs a bare endpoint.

    uv run python -m bench.webhooks.ingest --seconds 10 --concurrency 64

Four servers, one uvicorn worker each, loaded the same way: ``bare`` (FastAPI, reads the
body, answers 200: the ceiling), ``orion`` (the real inbox: verify, parse, group commit,
dispatch to Temporal), ``orion-without-temporal`` (no dispatch: the inbox alone) and
``orion-no-group-commit`` (one row per transaction, 10 transactions at a time, i.e. what a
plain INSERT + COMMIT per request does). Every orion 2xx is checked against the rows in
Postgres afterwards (no acknowledgement without a row).

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
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from bench.harness import Services, machine, services, start_api, write_result
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


def stripe_requests(host: str, path: str, count: int) -> Iterator[bytes]:
    """Distinct, correctly signed ``customer.updated`` deliveries (~1.3 KB each)."""
    now = int(time.time())
    for n in range(count):
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
) -> dict[str, Any]:
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
    return stats.summary(seconds)


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


async def _orion(app_url: str, port: int, count: int, args: argparse.Namespace) -> dict[str, Any]:
    connection, database = await _stripe_connection(app_url)
    try:
        path = f"/api/v1/webhooks/stripe/{connection}"
        requests = stripe_requests("127.0.0.1", path, count)
        summary = await load(port, requests, args.concurrency, args.seconds, args.warmup)
        summary["rows_stored"] = await _stored(database, connection)
        # Never a 2xx without a committed row (the rows may exceed the 2xx: a 503 can follow
        # a commit that did land, and the provider's retry is then a duplicate).
        assert summary["rows_stored"] >= summary["acknowledged_total"], summary
    finally:
        await database.dispose()
    return summary


def start_bare(running: Services) -> int:
    port = free_port()
    process = running.spawn(
        "bare",
        [sys.executable, "-m", "uvicorn", "bench.webhooks.bare:app", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        running.env(),
    )  # fmt: skip
    wait_for_port("127.0.0.1", port, 60, process)
    return port


def run(args: argparse.Namespace) -> dict[str, Any]:
    count = int(args.seconds * 6000 + args.warmup * 6000)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp, services(Path(tmp)) as running:
        bare = start_bare(running)
        requests = stripe_requests("127.0.0.1", "/hook", count)
        results["bare"] = asyncio.run(
            load(bare, requests, args.concurrency, args.seconds, args.warmup)
        )
        variants: dict[str, dict[str, str]] = {
            "orion": {},
            "orion-without-temporal": {"TEMPORAL_ADDRESS": ""},
            "orion-no-group-commit": {"WEBHOOKS_BATCH_MAX_ROWS": "1", "WEBHOOKS_WRITERS": "10"},
        }
        for name, extra in variants.items():
            env = running.env(RATELIMIT_ENABLED="false", DATABASE_POOL_SIZE="12", **extra)
            port = int(start_api(running, env).rsplit(":", 1)[1])
            results[name] = asyncio.run(_orion(running.app_url, port, count, args))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    results = run(args)
    print(f"{'server':<24}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'rows':>8}  statuses")
    for name, summary in results.items():
        rows = summary.get("rows_stored", "")
        print(
            f"{name:<24}{summary['req_per_s']:>10}{summary['p50_ms']:>10}"
            f"{summary['p99_ms']:>10}{rows:>8}  {summary['statuses']}"
        )
    ratio = results["orion"]["req_per_s"] / max(results["bare"]["req_per_s"], 1)
    print(f"orion / bare: {ratio:.0%}")
    path = write_result(
        "webhook_ingest",
        {"machine": machine(), "seconds": args.seconds, "concurrency": args.concurrency,
         "results": results, "orion_over_bare": round(ratio, 3)},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
