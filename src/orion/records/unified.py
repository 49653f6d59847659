"""Unified customer and invoice records: the one shape every provider object is mapped to.

This is the bottom layer shared by the connectors (which produce these) and the records
domain (which stores them), so it imports nothing from Orion. The models are frozen and carry
the provider object verbatim in ``raw``; they never invent data: a value the provider did not
send stays ``None``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


class Provider(StrEnum):
    """The SaaS providers Orion connects to."""

    STRIPE = "stripe"
    HUBSPOT = "hubspot"


class Kind(StrEnum):
    """The record kinds Orion keeps a unified copy of."""

    CUSTOMER = "customer"
    INVOICE = "invoice"


class InvoiceStatus(StrEnum):
    """The unified invoice life cycle; the provider's own word is kept in ``provider_status``."""

    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"


def _as_utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


class Address(BaseModel):
    """A postal address as the provider gave it (no normalisation of countries or states)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: Provider
    external_id: str = Field(min_length=1)
    # When the provider says this snapshot was current; the records domain keeps the newest.
    source_updated_at: AwareDatetime
    deleted: bool = False
    raw: dict[str, Any]

    @field_validator("source_updated_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


class Customer(_Record):
    """A customer (Stripe customer, HubSpot contact)."""

    kind: Literal[Kind.CUSTOMER] = Kind.CUSTOMER
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    company: str | None = None
    address: Address | None = None


class Invoice(_Record):
    """An invoice; amounts are integers in the currency's minor unit (cents for ``usd``)."""

    kind: Literal[Kind.INVOICE] = Kind.INVOICE
    number: str | None = None
    customer_external_id: str | None = None
    currency: str | None = Field(default=None, pattern=r"^[a-z]{3}$")
    amount_due: int | None = None
    amount_paid: int | None = None
    amount_remaining: int | None = None
    total: int | None = None
    status: InvoiceStatus | None = None
    provider_status: str | None = None
    issued_at: AwareDatetime | None = None
    due_at: AwareDatetime | None = None
    paid_at: AwareDatetime | None = None

    @field_validator("issued_at", "due_at", "paid_at")
    @classmethod
    def _utc_optional(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value)


Record = Annotated[Customer | Invoice, Field(discriminator="kind")]
"""Either record kind, discriminated by ``kind`` when parsed back from JSON."""
