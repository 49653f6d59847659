"""Deterministic seeding of a Stripe account.

Customers get `created` times spread over the past `history_days`, invoices follow their
customer, ids are handed out in creation order (so id order equals creation order as on
Stripe). Objects created inside the 30-day retention window also get their `*.created`
event (carrying the object as it is now): older events would already be gone on Stripe.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Literal

from orion.emulator.fakedata import PRODUCTS, person
from orion.emulator.stripe.account import EVENT_RETENTION_SECONDS, StripeAccount
from orion.emulator.stripe.models import Address, Customer, Invoice, InvoiceStatus

DAY = 24 * 3600
_STATUSES: tuple[InvoiceStatus, ...] = ("paid", "open", "draft", "void", "uncollectible")
_STATUS_WEIGHTS = (55, 25, 10, 5, 5)


def _currency(draw: float) -> str:
    return "usd" if draw < 0.7 else "eur" if draw < 0.9 else "gbp"


def make_customer(
    account: StripeAccount, rng: random.Random, created: int, serial: int
) -> Customer:
    someone = person(rng, serial)
    name = (
        f"{someone.first_name} {someone.last_name}"
        if someone.first_name and someone.last_name
        else None
    )
    address = (
        Address(
            line1=someone.street,
            city=someone.city,
            postal_code=someone.postal_code,
            country=someone.country,
        )
        if someone.city
        else None
    )
    metadata: tuple[tuple[str, str], ...] = ()
    if rng.random() < 0.3:
        metadata = (("crm_ref", f"CRM-{serial:06d}"),)
    return Customer(
        id=account.ids.short("cus"),
        created=created,
        email=someone.email,
        name=name,
        phone=someone.phone,
        description=someone.company,
        address=address,
        currency=_currency(rng.random()),
        invoice_prefix=f"{rng.getrandbits(28):07X}",
        metadata=metadata,
        updated=created,
    )


def make_invoice(
    account: StripeAccount,
    rng: random.Random,
    customer: Customer,
    created: int,
    status: InvoiceStatus,
) -> tuple[Invoice, Customer]:
    """Returns the invoice and the customer with its invoice sequence advanced."""
    collection: Literal["charge_automatically", "send_invoice"] = (
        "send_invoice" if rng.random() < 0.4 else "charge_automatically"
    )
    number: str | None = None
    if status != "draft":
        number = f"{customer.invoice_prefix}-{customer.next_invoice_sequence:04d}"
        customer = _bump_sequence(customer)
    finalized_at = None if status == "draft" else created + rng.randrange(60, 3600)
    paid_at = (
        finalized_at + rng.randrange(60, 5 * DAY) if status == "paid" and finalized_at else None
    )
    invoice = Invoice(
        id=account.ids.long("in"),
        created=created,
        customer=customer.id,
        customer_email=customer.email,
        customer_name=customer.name,
        currency=customer.currency or "usd",
        line_id=account.ids.long("il"),
        line_description=rng.choice(PRODUCTS),
        subtotal=rng.randrange(5, 5000) * 100 + rng.choice((0, 0, 50, 99)),
        status=status,
        number=number,
        due_date=created + 30 * DAY if collection == "send_invoice" else None,
        collection_method=collection,
        finalized_at=finalized_at,
        paid_at=paid_at,
        voided_at=finalized_at if status == "void" else None,
        marked_uncollectible_at=finalized_at if status == "uncollectible" else None,
        updated=created,
    )
    return invoice, customer


def _bump_sequence(customer: Customer) -> Customer:
    return replace(customer, next_invoice_sequence=customer.next_invoice_sequence + 1)


def seed_account(
    account: StripeAccount,
    *,
    customers: int,
    invoices: int,
    rng: random.Random,
    now: int,
    history_days: int = 180,
) -> None:
    if invoices and not customers:
        raise ValueError("invoices need at least one customer")
    span = history_days * DAY
    start = now - span
    created_times = sorted(rng.randrange(start, now - 3600) for _ in range(customers))
    made: list[Customer] = [
        make_customer(account, rng, created, serial)
        for serial, created in enumerate(created_times, start=1)
    ]
    plans: list[tuple[int, int]] = []
    for _ in range(invoices):
        owner = rng.randrange(customers)
        born = made[owner].created
        plans.append((rng.randrange(born, max(born + 1, now - 60)), owner))
    plans.sort()
    statuses = rng.choices(_STATUSES, weights=_STATUS_WEIGHTS, k=invoices)
    made_invoices: list[Invoice] = []
    for (created, owner), status in zip(plans, statuses, strict=True):
        invoice, made[owner] = make_invoice(account, rng, made[owner], created, status)
        made_invoices.append(invoice)

    with account.lock:
        for customer in made:
            account.customers[customer.id] = customer
        account.customer_index.load((c.created, c.id) for c in made)
        for invoice in made_invoices:
            account.invoices[invoice.id] = invoice
        account.invoice_index.load((i.created, i.id) for i in made_invoices)
        floor = now - EVENT_RETENTION_SECONDS
        recent = [(c.created, "customer.created", c.id) for c in made if c.created >= floor]
        recent += [
            (i.created, "invoice.created", i.id) for i in made_invoices if i.created >= floor
        ]
        recent.sort()
        for created, kind, object_id in recent:
            obj = (
                account.customers[object_id]
                if kind == "customer.created"
                else account.invoices[object_id]
            )
            account.record_event(kind, obj, created=created)
        account.mark_events_sent()
