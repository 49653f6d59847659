"""API reads: ``GET /api/v1/customers`` pages of 100 at a fixed rate, row-level security on.

    uv run python -m bench.api.reads --customers 100000 --rate 100 --seconds 30

Two tenants of N customers each share the table, so every read goes through RLS with the
other tenant's rows present. Requests are spread over the whole data set (cursors collected
first). Prints p50/p90/p99 and writes bench/results/api_reads.json.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from tests.fixtures.records import insert_connection

from bench.harness import machine, services, start_api, token, write_result
from bench.load import open_loop
from orion.platform.config_rules import DEVELOPMENT_ENCRYPTION_KEY
from orion.platform.crypto import Vault
from orion.platform.db import Database, create_engine
from orion.records.repository import upsert_records
from orion.records.unified import Customer, Kind, Provider
from orion.tenants.repository import create_tenant


async def seed(app_url: str, tenants: list[uuid.UUID], customers: int) -> None:
    database = Database(create_engine(app_url))
    vault = Vault([DEVELOPMENT_ENCRYPTION_KEY])
    now = datetime.now(UTC)
    try:
        for tenant in tenants:
            async with database.tenant_transaction(tenant) as session:
                await create_tenant(session, tenant, "bench")
                connection = await insert_connection(session, tenant, vault)
            for start in range(0, customers, 2000):
                batch: list[Customer] = [
                    Customer(
                        provider=Provider.STRIPE,
                        external_id=f"cus_{n:07d}",
                        source_updated_at=now,
                        email=f"person{n}@example.org",
                        name=f"Person {n}",
                        raw={
                            "id": f"cus_{n:07d}",
                            "object": "customer",
                            "email": f"person{n}@example.org",
                        },
                    )
                    for n in range(start, min(customers, start + 2000))
                ]
                async with database.tenant_transaction(tenant) as session:
                    await upsert_records(
                        session, tenant, connection, Kind.CUSTOMER, list(batch), apply_ties=True
                    )
    finally:
        await database.dispose()


async def analyze(owner_url: str) -> None:
    """Fresh planner statistics, as autovacuum would have gathered after a bulk load."""
    connection = await asyncpg.connect(owner_url)
    try:
        await connection.execute("ANALYZE customers")
    finally:
        await connection.close()


async def collect_cursors(client: httpx.AsyncClient) -> list[str | None]:
    cursors: list[str | None] = [None]
    while True:
        params = {"limit": 100} | ({"cursor": cursors[-1]} if cursors[-1] else {})
        page = (await client.get("/api/v1/customers", params=params)).json()
        if not page["next_cursor"]:
            return cursors
        cursors.append(page["next_cursor"])


async def measure(url: str, tenant: uuid.UUID, rate: float, seconds: float) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {token(tenant)}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, timeout=30, limits=limits
    ) as client:
        cursors = await collect_cursors(client)

        async def send(c: httpx.AsyncClient, number: int) -> httpx.Response:
            cursor = cursors[number % len(cursors)]
            params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
            return await c.get("/api/v1/customers", params=params)

        result = await open_loop(send, rate=rate, seconds=seconds, client=client)
    return result.summary() | {"pages_available": len(cursors)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    tenants = [uuid.uuid4(), uuid.uuid4()]
    with tempfile.TemporaryDirectory() as tmp, services(Path(tmp)) as running:
        asyncio.run(seed(running.app_url, tenants, args.customers))
        asyncio.run(analyze(running.owner_url))
        url = start_api(running, running.env(RATELIMIT_ENABLED="false", LOG_LEVEL="WARNING"))
        summary = asyncio.run(measure(url, tenants[0], args.rate, args.seconds))
    print(f"{'rate/s':>8}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}")
    print(
        f"{args.rate:>8.0f}{summary['requests']:>10.0f}{summary['errors']:>8.0f}"
        f"{summary['p50_ms']:>9.1f}{summary['p90_ms']:>9.1f}{summary['p99_ms']:>9.1f}"
    )
    path = write_result(
        "api_reads",
        {"machine": machine(), "customers_per_tenant": args.customers, "tenants": 2,
         "rate": args.rate, "seconds": args.seconds, **summary},
    )  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
