"""What the records API returns: unified fields, source ids, and (in detail) the raw payload."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from orion.records.unified import Address, Provider


class _RecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    connection_id: uuid.UUID
    provider: Provider
    external_id: str = Field(description="The object's id at the provider (cus_..., a contact id).")
    source_updated_at: datetime
    deleted_at: datetime | None
    version: int = Field(description="Incremented on every change Orion applies.")
    updated_at: datetime


class CustomerRead(_RecordRead):
    email: str | None
    name: str | None
    phone: str | None
    company: str | None
    address: Address | None

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "0b7a5c1e-4d1f-4f55-9a51-0e8f4e2d1c3b",
                    "connection_id": "5d1c3b0b-7a5c-4e4d-9f55-9a510e8f4e2d",
                    "provider": "stripe",
                    "external_id": "cus_NffrFeUfNV2Hib",
                    "email": "jenny.rosen@example.com",
                    "name": "Jenny Rosen",
                    "phone": None,
                    "company": None,
                    "address": None,
                    "source_updated_at": "2026-11-20T10:15:00Z",
                    "deleted_at": None,
                    "version": 3,
                    "updated_at": "2026-11-20T10:15:02Z",
                }
            ]
        },
    )


class InvoiceRead(_RecordRead):
    number: str | None
    customer_external_id: str | None
    currency: str | None
    amount_due: int | None = Field(description="Minor units of `currency` (cents for usd).")
    amount_paid: int | None
    amount_remaining: int | None
    total: int | None
    status: str | None = Field(description="draft, open, paid, void or uncollectible.")
    provider_status: str | None
    issued_at: datetime | None
    due_at: datetime | None
    paid_at: datetime | None


class CustomerDetail(CustomerRead):
    raw: dict[str, Any] = Field(description="The provider's object, verbatim.")


class InvoiceDetail(InvoiceRead):
    raw: dict[str, Any] = Field(description="The provider's object, verbatim.")
