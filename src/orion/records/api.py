"""``/api/v1/customers`` and ``/api/v1/invoices``: the unified copy, read-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from orion.platform.dependencies import TenantSession
from orion.platform.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from orion.records.schemas import CustomerDetail, CustomerRead, InvoiceDetail, InvoiceRead
from orion.records.service import RecordFilters, get_record, list_records
from orion.records.unified import Kind, Provider

router = APIRouter(prefix="/api/v1", tags=["records"])

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Page size (max 100).")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]
ConnectionFilter = Annotated[uuid.UUID | None, Query(description="Only this connection.")]
ProviderFilter = Annotated[Provider | None, Query(description="Only this provider.")]
Since = Annotated[datetime | None, Query(description="Changed in Orion at or after this time.")]
Deleted = Annotated[bool, Query(description="Include records deleted at the provider.")]


@router.get("/customers", summary="List customers")
async def customers(
    session: TenantSession,
    connection_id: ConnectionFilter = None,
    provider: ProviderFilter = None,
    updated_since: Since = None,
    email: Annotated[str | None, Query(description="Exact email, case-insensitive.")] = None,
    include_deleted: Deleted = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> Page[CustomerRead]:
    filters = RecordFilters(
        connection_id, provider, updated_since, email, None, None, include_deleted
    )
    rows, next_cursor = await list_records(session, Kind.CUSTOMER, filters, cursor, limit)
    return Page(data=[CustomerRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/customers/{customer_id}", summary="One customer, with the provider's raw object")
async def customer(session: TenantSession, customer_id: uuid.UUID) -> CustomerDetail:
    return CustomerDetail.model_validate(await get_record(session, Kind.CUSTOMER, customer_id))


@router.get("/invoices", summary="List invoices")
async def invoices(
    session: TenantSession,
    connection_id: ConnectionFilter = None,
    provider: ProviderFilter = None,
    updated_since: Since = None,
    customer_external_id: Annotated[str | None, Query(description="The customer's id.")] = None,
    status: Annotated[str | None, Query(description="draft, open, paid, void...")] = None,
    include_deleted: Deleted = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> Page[InvoiceRead]:
    filters = RecordFilters(
        connection_id, provider, updated_since, None, customer_external_id, status, include_deleted
    )
    rows, next_cursor = await list_records(session, Kind.INVOICE, filters, cursor, limit)
    return Page(data=[InvoiceRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get("/invoices/{invoice_id}", summary="One invoice, with the provider's raw object")
async def invoice(session: TenantSession, invoice_id: uuid.UUID) -> InvoiceDetail:
    return InvoiceDetail.model_validate(await get_record(session, Kind.INVOICE, invoice_id))
