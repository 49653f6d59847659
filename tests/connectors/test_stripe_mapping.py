"""Stripe mapping on Stripe's published fixtures (2022-11-15 and latest) with varied values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orion.connectors.errors import Permanent
from orion.connectors.stripe import mapping
from orion.records.unified import Customer, Invoice, InvoiceStatus, Kind, Provider
from tests.connectors.samples import STRIPE_VERSIONS, stripe_event, stripe_object

AS_OF = datetime(2025, 3, 1, tzinfo=UTC)
ADDRESS_KEYS = ("line1", "line2", "city", "state", "postal_code", "country")

text = st.text(min_size=1, max_size=40).filter(str.strip)
maybe_text = st.none() | text
epoch = st.integers(min_value=0, max_value=4_102_444_800)
maybe_epoch = st.none() | epoch
amount = st.integers(min_value=-(10**12), max_value=10**12)
versions = st.sampled_from(STRIPE_VERSIONS)


def stripe_id(prefix: str) -> st.SearchStrategy[str]:
    return st.from_regex(rf"{prefix}_[A-Za-z0-9]{{8,24}}", fullmatch=True)


addresses = st.none() | st.fixed_dictionaries(dict.fromkeys(ADDRESS_KEYS, maybe_text))


@st.composite
def customers(draw: st.DrawFn) -> dict[str, Any]:
    obj = stripe_object(draw(versions), "customer")
    obj.update(
        id=draw(stripe_id("cus")),
        email=draw(maybe_text),
        name=draw(maybe_text),
        phone=draw(maybe_text),
        address=draw(addresses),
        created=draw(epoch),
    )
    if draw(st.booleans()):
        obj["business_name"] = draw(maybe_text)
    return obj


@st.composite
def invoices(draw: st.DrawFn) -> dict[str, Any]:
    obj = stripe_object(draw(versions), "invoice")
    customer: str | dict[str, Any] | None = draw(st.none() | stripe_id("cus"))
    if customer is not None and draw(st.booleans()):  # expanded customer
        customer = {"id": customer, "object": "customer"}
    obj.update(
        id=draw(stripe_id("in")),
        number=draw(maybe_text),
        customer=customer,
        currency=draw(st.sampled_from(["usd", "eur", "jpy", "kwd", "GBP"])),
        amount_due=draw(amount),
        amount_paid=draw(amount),
        amount_remaining=draw(amount),
        total=draw(amount),
        status=draw(st.sampled_from(["draft", "open", "paid", "void", "uncollectible"])),
        due_date=draw(maybe_epoch),
        created=draw(epoch),
        status_transitions={
            "finalized_at": draw(maybe_epoch),
            "marked_uncollectible_at": None,
            "paid_at": draw(maybe_epoch),
            "voided_at": None,
        },
    )
    if "effective_at" in obj:
        obj["effective_at"] = draw(maybe_epoch)
    return obj


def at(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize("version", STRIPE_VERSIONS)
def test_the_published_customer_maps_without_inventing_anything(version: str) -> None:
    obj = stripe_object(version, "customer")
    customer = mapping.snapshot(Kind.CUSTOMER, obj, AS_OF)
    assert isinstance(customer, Customer)
    assert customer.provider is Provider.STRIPE
    assert customer.external_id == obj["id"]
    assert (customer.email, customer.name, customer.phone, customer.company) == (None,) * 4
    assert customer.address is None  # null in 2022, all-null fields in the latest version
    assert customer.raw == obj
    assert customer.source_updated_at == AS_OF


@pytest.mark.parametrize("version", STRIPE_VERSIONS)
def test_the_published_invoice_keeps_minor_units_and_currency(version: str) -> None:
    obj = stripe_object(version, "invoice")
    invoice = mapping.snapshot(Kind.INVOICE, obj, AS_OF)
    assert isinstance(invoice, Invoice)
    assert invoice.customer_external_id == obj["customer"]
    assert (invoice.currency, invoice.amount_due, invoice.amount_remaining) == ("usd", 1000, 1000)
    assert (invoice.amount_paid, invoice.total) == (0, 1000)
    assert invoice.status is InvoiceStatus.DRAFT and invoice.provider_status == "draft"
    assert invoice.issued_at is None  # a draft has not been issued
    assert invoice.due_at == at(1234567890)
    assert invoice.number is None and invoice.paid_at is None


@pytest.mark.parametrize("version", STRIPE_VERSIONS)
@pytest.mark.parametrize("kind", list(Kind))
def test_deleted_stubs_become_deleted_records(version: str, kind: Kind) -> None:
    stub = stripe_object(version, f"deleted_{mapping.OBJECT_NAMES[kind]}")
    record = mapping.snapshot(kind, stub, AS_OF)
    assert record.deleted is True
    assert record.external_id == stub["id"]
    assert record.raw == stub


@given(customers())
def test_any_customer_maps_and_round_trips_its_fields(obj: dict[str, Any]) -> None:
    customer = mapping.snapshot(Kind.CUSTOMER, obj, AS_OF)
    assert isinstance(customer, Customer)
    assert customer.external_id == obj["id"]
    assert (customer.email, customer.name, customer.phone) == (
        obj["email"],
        obj["name"],
        obj["phone"],
    )
    assert customer.company == obj.get("business_name")
    given_address = obj["address"] or {}
    if any(given_address.values()):
        assert customer.address is not None
        assert customer.address.model_dump() == given_address
    else:
        assert customer.address is None
    assert customer.raw == obj and customer.deleted is False


@given(invoices())
def test_any_invoice_maps_and_round_trips_its_fields(obj: dict[str, Any]) -> None:
    invoice = mapping.snapshot(Kind.INVOICE, obj, AS_OF)
    assert isinstance(invoice, Invoice)
    assert invoice.external_id == obj["id"]
    customer = obj["customer"]
    assert invoice.customer_external_id == (
        customer["id"] if isinstance(customer, dict) else customer
    )
    assert invoice.currency == obj["currency"].lower()
    for field in ("amount_due", "amount_paid", "amount_remaining", "total"):
        assert getattr(invoice, field) == obj[field]
    assert invoice.status == InvoiceStatus(obj["status"])
    transitions = obj["status_transitions"]
    assert invoice.paid_at == at(transitions["paid_at"])
    assert invoice.due_at == at(obj["due_date"])
    effective = obj.get("effective_at")
    issued = transitions["finalized_at"] if effective is None else effective
    assert invoice.issued_at == (None if obj["status"] == "draft" else at(issued))


def test_blank_strings_are_missing_values_not_empty_ones() -> None:
    obj = stripe_object("latest", "customer")
    obj.update(email="", name="   ", phone=None)
    customer = mapping.customer(obj, AS_OF)
    assert (customer.email, customer.name, customer.phone) == (None, None, None)


def test_an_unknown_invoice_status_is_kept_raw_only() -> None:
    obj = stripe_object("latest", "invoice")
    obj["status"] = "deleted"
    invoice = mapping.snapshot(Kind.INVOICE, obj, AS_OF)
    assert isinstance(invoice, Invoice)
    assert invoice.status is None and invoice.provider_status == "deleted"


def test_backfilled_objects_are_current_since_the_watermark_or_their_creation() -> None:
    obj = stripe_object("latest", "customer")
    obj["created"] = 2_000
    assert mapping.listed(Kind.CUSTOMER, obj, 1_000).source_updated_at == at(2_000)
    assert mapping.listed(Kind.CUSTOMER, obj, 3_000).source_updated_at == at(3_000)
    assert mapping.listed(Kind.CUSTOMER, obj, None).source_updated_at == at(2_000)


@pytest.mark.parametrize(
    ("event_type", "deleted"),
    [("customer.created", False), ("customer.updated", False), ("customer.deleted", True)],
)
def test_customer_events_carry_the_snapshot_at_the_event_time(
    event_type: str, deleted: bool
) -> None:
    obj = stripe_object("latest", "customer")
    record = mapping.record_from_event(stripe_event(event_type, obj, 1_700_000_000, "evt_1"))
    assert isinstance(record, Customer)
    assert record.external_id == obj["id"]
    assert record.deleted is deleted
    assert record.source_updated_at == at(1_700_000_000)


def test_events_about_other_objects_are_not_records() -> None:
    plan_event = stripe_object("2022-11-15", "event")  # the published plan.created event
    assert mapping.record_from_event(plan_event) is None
    upcoming = stripe_object("latest", "invoice")
    del upcoming["id"]  # invoice.upcoming previews have no id
    assert mapping.record_from_event(stripe_event("invoice.upcoming", upcoming, 1, "e")) is None
    invoice = stripe_object("2022-11-15", "invoice")
    paid = mapping.record_from_event(stripe_event("invoice.paid", invoice, 5, "evt_2"))
    assert isinstance(paid, Invoice) and paid.external_id == invoice["id"]


WRONG_CUSTOMER = [
    ("id", None),
    ("id", 42),
    ("email", 5),
    ("name", ["Ada"]),
    ("address", "1 Main St"),
    ("address", {"line1": 7}),
    ("deleted", "yes"),
    ("object", "invoice"),
]
WRONG_INVOICE = [
    ("amount_due", "1000"),
    ("amount_paid", 10.5),
    ("total", True),
    ("currency", "dollars"),
    ("currency", 840),
    ("due_date", "2025-01-01"),
    ("due_date", 10**20),
    ("status_transitions", "paid"),
    ("customer", 5),
    ("customer", {"object": "customer"}),
]


@given(customers(), st.sampled_from(WRONG_CUSTOMER))
def test_a_malformed_customer_is_a_permanent_error(
    obj: dict[str, Any], wrong: tuple[str, object]
) -> None:
    key, value = wrong
    obj[key] = value
    with pytest.raises(Permanent):
        mapping.snapshot(Kind.CUSTOMER, obj, AS_OF)


@given(invoices(), st.sampled_from(WRONG_INVOICE))
def test_a_malformed_invoice_is_a_permanent_error(
    obj: dict[str, Any], wrong: tuple[str, object]
) -> None:
    key, value = wrong
    obj[key] = value
    with pytest.raises(Permanent):
        mapping.snapshot(Kind.INVOICE, obj, AS_OF)


@pytest.mark.parametrize(
    "broken",
    [
        {"type": "customer.updated", "created": "yesterday", "data": {"object": {}}},
        {"type": "customer.updated", "created": 1, "data": []},
        {"type": "customer.updated", "created": 1, "data": {"object": "cus_1"}},
        {"created": 1, "data": {"object": {"object": "customer", "id": "cus_1"}}},
        {"type": "customer.updated", "created": 1},
    ],
)
def test_a_malformed_event_is_a_permanent_error(broken: dict[str, Any]) -> None:
    with pytest.raises(Permanent):
        mapping.record_from_event(broken)
