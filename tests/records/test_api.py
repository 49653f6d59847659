"""``/api/v1/customers`` and ``/api/v1/invoices``: pagination, filters, isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from orion.platform.crypto import Vault, generate_key
from orion.records.repository import upsert_records
from orion.records.unified import Customer, Invoice, InvoiceStatus, Kind, Provider
from orion.tenants.repository import create_tenant
from tests.fixtures.records import insert_connection
from tests.fixtures.stack import Stack

VAULT = Vault([generate_key()])
NOW = datetime(2026, 11, 20, tzinfo=UTC)


async def seed(stack: Stack, customers: int, invoices: int = 0) -> tuple[uuid.UUID, uuid.UUID]:
    tenant = uuid.uuid4()
    records: list[Customer | Invoice] = [
        Customer(
            provider=Provider.STRIPE,
            external_id=f"cus_{n:04d}",
            source_updated_at=NOW,
            email=f"Person{n}@Example.org" if n % 10 else None,
            name=f"Person {n}",
            deleted=n % 50 == 49,
            raw={"id": f"cus_{n:04d}", "object": "customer"},
        )
        for n in range(customers)
    ]
    bills = [
        Invoice(
            provider=Provider.STRIPE,
            external_id=f"in_{n:04d}",
            source_updated_at=NOW,
            customer_external_id="cus_0001",
            currency="eur",
            amount_due=1999,
            status=InvoiceStatus.PAID if n % 2 else InvoiceStatus.OPEN,
            raw={"id": f"in_{n:04d}"},
        )
        for n in range(invoices)
    ]
    async with stack.database.tenant_transaction(tenant) as session:
        await create_tenant(session, tenant, "reader")
        connection = await insert_connection(session, tenant, VAULT)
        await upsert_records(session, tenant, connection, Kind.CUSTOMER, records, apply_ties=True)
        await upsert_records(session, tenant, connection, Kind.INVOICE, bills, apply_ties=True)
    return tenant, connection


async def test_cursor_pagination_returns_every_record_once(stack: Stack) -> None:
    tenant, _ = await seed(stack, 230)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = (
            await stack.api.get("/api/v1/customers", params=params, headers=stack.headers(tenant))
        ).json()
        seen += [c["external_id"] for c in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 230 - 4  # four deleted ones are hidden by default
    assert "raw" not in page["data"][0]


async def test_filters_and_page_size_cap(stack: Stack) -> None:
    tenant, connection = await seed(stack, 60, invoices=7)
    headers = stack.headers(tenant)

    async def get(path: str, **params: object) -> dict:
        response = await stack.api.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    assert [
        c["external_id"]
        for c in (await get("/api/v1/customers", email="person7@example.ORG"))["data"]
    ] == ["cus_0007"]
    assert len((await get("/api/v1/customers", include_deleted=True, limit=100))["data"]) == 60
    assert (
        len((await get("/api/v1/customers", connection_id=str(connection), limit=100))["data"])
        == 59
    )
    assert (await get("/api/v1/customers", connection_id=str(uuid.uuid4())))["data"] == []
    assert (await get("/api/v1/customers", provider="hubspot"))["data"] == []
    future = (NOW + timedelta(days=365 * 5)).isoformat()
    assert (await get("/api/v1/customers", updated_since=future))["data"] == []
    paid = await get("/api/v1/invoices", status="paid")
    assert {i["status"] for i in paid["data"]} == {"paid"} and len(paid["data"]) == 3
    assert paid["data"][0]["amount_due"] == 1999 and paid["data"][0]["currency"] == "eur"
    too_big = await stack.api.get("/api/v1/customers", params={"limit": 101}, headers=headers)
    assert too_big.status_code == 422
    bad_cursor = await stack.api.get(
        "/api/v1/customers", params={"cursor": "nope"}, headers=headers
    )
    assert bad_cursor.status_code == 422


async def test_detail_has_the_raw_payload_and_respects_tenants(stack: Stack) -> None:
    tenant, _ = await seed(stack, 3)
    first = (await stack.api.get("/api/v1/customers", headers=stack.headers(tenant))).json()[
        "data"
    ][0]
    detail = await stack.api.get(f"/api/v1/customers/{first['id']}", headers=stack.headers(tenant))
    assert detail.json()["raw"] == {"id": first["external_id"], "object": "customer"}
    stranger = stack.headers(uuid.uuid4())
    assert (
        await stack.api.get(f"/api/v1/customers/{first['id']}", headers=stranger)
    ).status_code == 404
    assert (await stack.api.get("/api/v1/customers", headers=stranger)).json()["data"] == []
    assert (await stack.api.get("/api/v1/customers")).status_code == 401
