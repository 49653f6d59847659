"""Compact, immutable records for Stripe objects.

Records are frozen so an event can keep a reference to the object as it was when the event
happened (Stripe's `data.object` is a snapshot), and so 100,000 customers seed in seconds:
the full JSON shape is only built when a response needs it (see `render`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

InvoiceStatus = Literal["draft", "open", "paid", "void", "uncollectible"]
ObjectType = Literal["customer", "invoice"]


@dataclass(frozen=True, slots=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    created: int
    email: str | None
    name: str | None
    phone: str | None
    description: str | None
    address: Address | None
    currency: str | None
    invoice_prefix: str
    balance: int = 0
    next_invoice_sequence: int = 1
    metadata: tuple[tuple[str, str], ...] = ()
    deleted: bool = False
    version: int = 1
    updated: int = 0


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    created: int
    customer: str
    customer_email: str | None
    customer_name: str | None
    currency: str
    line_id: str
    line_description: str
    subtotal: int
    status: InvoiceStatus
    number: str | None
    due_date: int | None
    collection_method: Literal["charge_automatically", "send_invoice"]
    description: str | None = None
    finalized_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None
    marked_uncollectible_at: int | None = None
    metadata: tuple[tuple[str, str], ...] = ()
    deleted: bool = False
    version: int = 1
    updated: int = 0

    @property
    def total(self) -> int:
        return self.subtotal

    @property
    def amount_paid(self) -> int:
        return self.total if self.status == "paid" else 0

    @property
    def amount_remaining(self) -> int:
        if self.status in ("paid", "void"):
            return 0
        return self.total


StripeObject = Customer | Invoice


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    created: int
    type: str
    object: StripeObject
    previous_attributes: Mapping[str, Any] | None = None
    request_id: str | None = None
    sequence: int = field(default=0, compare=False)
