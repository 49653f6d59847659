"""Deterministic seeding of a HubSpot portal: contacts (some without email or name) and
commerce invoices, each invoice associated with one contact.

Invoice amounts follow the status: a paid invoice has `hs_amount_paid` equal to the billed
amount, no balance and an `hs_payment_date` (its last modification, the payment); other
invoices have paid nothing. Derived values use no extra random draws, so adding them kept
every seeded portal otherwise identical.
"""

from __future__ import annotations

import random

from orion.emulator.fakedata import person
from orion.emulator.hubspot.models import CrmObject, Value
from orion.emulator.hubspot.portal import HubSpotPortal

DAY_MS = 24 * 3600 * 1000
_STATUSES = ("paid", "open", "draft", "voided")
_STATUS_WEIGHTS = (55, 25, 12, 8)


def contact_values(rng: random.Random, serial: int) -> dict[str, Value]:
    someone = person(rng, serial)
    values: dict[str, Value] = {
        "email": someone.email,
        "firstname": someone.first_name,
        "lastname": someone.last_name,
        "phone": someone.phone,
        "company": someone.company,
        "address": someone.street,
        "city": someone.city,
        "state": someone.state,
        "zip": someone.postal_code,
        "country": someone.country,
    }
    return {name: value for name, value in values.items() if value is not None}


def payment_values(status: str, billed: str, at_ms: int) -> dict[str, Value]:
    """The amounts that follow from `status`; `at_ms` is when a paid invoice was paid."""
    paid = status == "paid"
    return {
        "hs_invoice_status": status,
        "hs_amount_paid": billed if paid else "0.00",
        "hs_balance_due": "0.00" if status in ("paid", "voided") else billed,
        "hs_payment_date": at_ms if paid else None,
    }


def invoice_values(
    rng: random.Random,
    serial: int,
    currency: str,
    status: str,
    invoice_date_ms: int,
    updated_ms: int,
) -> dict[str, Value]:
    cents = rng.randrange(5, 5000) * 100 + rng.choice((0, 0, 50, 99))
    billed = f"{cents / 100:.2f}"
    values: dict[str, Value] = {
        "hs_number": f"INV-{serial:05d}",
        "hs_currency": currency,
        "hs_amount_billed": billed,
        **payment_values(status, billed, updated_ms),
        "hs_invoice_date": invoice_date_ms,
        "hs_due_date": invoice_date_ms + 30 * DAY_MS,
    }
    return {name: value for name, value in values.items() if value is not None}


def new_invoice(
    portal: HubSpotPortal,
    rng: random.Random,
    contact: CrmObject,
    created_ms: int,
    updated_ms: int,
    status: str,
) -> CrmObject:
    serial = len(portal.objects["invoices"]) + 1001
    currency = rng.choices((portal.info.company_currency, "EUR", "GBP"), weights=(80, 12, 8))[0]
    midnight = created_ms - created_ms % DAY_MS
    invoice = CrmObject(
        id=portal.new_id("invoices"),
        created_ms=created_ms,
        updated_ms=updated_ms,
        values=invoice_values(rng, serial, currency, status, midnight, updated_ms),
        associations={"contacts": [contact.id]},
    )
    contact.associations.setdefault("invoices", []).append(invoice.id)
    return invoice


def seed_portal(
    portal: HubSpotPortal,
    *,
    contacts: int,
    invoices: int,
    rng: random.Random,
    now_ms: int,
    history_days: int = 180,
) -> None:
    if invoices and not contacts:
        raise ValueError("invoices need at least one contact")
    start = now_ms - history_days * DAY_MS
    created = sorted(rng.randrange(start, now_ms - 3_600_000) for _ in range(contacts))
    made: list[CrmObject] = []
    for serial, created_ms in enumerate(created, start=1):
        touched = rng.randrange(created_ms, now_ms) if rng.random() < 0.4 else created_ms
        made.append(
            CrmObject(
                id=portal.new_id("contacts"),
                created_ms=created_ms,
                updated_ms=touched,
                values=contact_values(rng, serial),
            )
        )
    plans = []
    for _ in range(invoices):
        owner = made[rng.randrange(contacts)]
        plans.append((rng.randrange(owner.created_ms, now_ms - 60_000), owner))
    plans.sort(key=lambda plan: (plan[0], plan[1].id))
    statuses = rng.choices(_STATUSES, weights=_STATUS_WEIGHTS, k=invoices)
    made_invoices = []
    for (created_ms, owner), status in zip(plans, statuses, strict=True):
        touched = rng.randrange(created_ms, now_ms) if status != "draft" else created_ms
        made_invoices.append(new_invoice(portal, rng, owner, created_ms, touched, status))
    portal.load("contacts", made)
    portal.load("invoices", made_invoices)
