"""HubSpot mapping on the CRM v3 sample shapes with varied property values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orion.connectors.errors import Permanent
from orion.connectors.hubspot import mapping
from orion.connectors.shapes import epoch_ms, parse_instant
from orion.records.unified import Customer, Invoice, InvoiceStatus, Kind, Provider
from tests.connectors.samples import hubspot_example

CONTACT_FIELDS = ("email", "firstname", "lastname", "phone", "company")
ADDRESS_FIELDS = {"address": "line1", "city": "city", "state": "state", "zip": "postal_code",
                  "country": "country"}  # fmt: skip
EXPONENTS = {"USD": 2, "usd": 2, "EUR": 2, "JPY": 0, "KWD": 3}

text = st.text(min_size=1, max_size=40).filter(str.strip)
maybe_text = st.none() | text
moments = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))
object_ids = st.integers(min_value=1, max_value=10**12).map(str)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def contact_sample() -> dict[str, Any]:
    sample: dict[str, Any] = hubspot_example("GET /crm/v3/objects/contacts?limit=2")["results"][0]
    return sample


def invoice_sample() -> dict[str, Any]:
    key = (
        "GET /crm/v3/objects/invoices?limit=2&properties=hs_number&properties=hs_invoice_status&..."
    )
    sample: dict[str, Any] = hubspot_example(key)["results"][0]
    return sample


@st.composite
def contacts(draw: st.DrawFn) -> dict[str, Any]:
    obj = contact_sample()
    modified = draw(moments)
    obj["id"] = draw(object_ids)
    obj["updatedAt"] = iso(modified)
    props = obj["properties"]
    props.update({name: draw(maybe_text) for name in (*CONTACT_FIELDS, *ADDRESS_FIELDS)})
    props.update(hs_object_id=obj["id"], lastmodifieddate=iso(modified))
    if draw(st.booleans()):
        obj["archived"] = True
        obj["archivedAt"] = iso(modified + timedelta(seconds=draw(st.integers(0, 10**6))))
    return obj


@st.composite
def amounts(draw: st.DrawFn, exponent: int) -> str:
    minor = draw(st.integers(min_value=0, max_value=10**13))
    return str(Decimal(minor).scaleb(-exponent))


@st.composite
def invoices(draw: st.DrawFn) -> dict[str, Any]:
    obj = invoice_sample()
    currency = draw(st.sampled_from(sorted(EXPONENTS)))
    exponent = EXPONENTS[currency]
    obj["id"] = draw(object_ids)
    props = obj["properties"]
    props.update(
        hs_object_id=obj["id"],
        hs_number=draw(maybe_text),
        hs_currency=currency,
        hs_invoice_status=draw(st.sampled_from(["draft", "open", "paid", "voided"])),
        hs_amount_billed=draw(st.none() | amounts(exponent)),
        hs_balance_due=draw(st.none() | amounts(exponent)),
        hs_amount_paid=draw(st.none() | amounts(exponent)),
        hs_due_date=draw(st.none() | moments.map(lambda m: m.date().isoformat())),
        hs_invoice_date=draw(st.none() | moments.map(lambda m: str(int(m.timestamp() * 1000)))),
        hs_lastmodifieddate=iso(draw(moments)),
    )
    if draw(st.booleans()):
        obj["associations"] = {
            "contacts": {"results": [{"id": draw(object_ids), "type": "invoice_to_contact"}]}
        }
    return obj


def minor(value: str | None, currency: str) -> int | None:
    return None if value is None else int(Decimal(value).scaleb(EXPONENTS[currency]))


def test_the_sample_contacts_map_with_missing_names_left_missing() -> None:
    page = hubspot_example("GET /crm/v3/objects/contacts?limit=2&after=1003")
    turing = mapping.contact(page["results"][0])
    assert turing.provider is Provider.HUBSPOT and turing.external_id == "1003"
    assert turing.name == "Turing"  # firstname is null: not "None Turing", not " Turing"
    assert turing.phone is None and turing.company is None and turing.address is None
    assert turing.source_updated_at == datetime(2025, 1, 9, 14, 33, 51, 230000, tzinfo=UTC)
    ada = mapping.contact(contact_sample())
    assert (ada.email, ada.name) == ("ada@example.com", "Ada Lovelace")


def test_an_archived_contact_is_deleted_as_of_its_archive_time() -> None:
    archived = hubspot_example("GET /crm/v3/objects/contacts?archived=true")["results"][0]
    record = mapping.contact(archived)
    assert record.deleted is True
    assert record.source_updated_at == datetime(2025, 2, 1, 12, tzinfo=UTC)


def test_the_sample_invoices_map_to_minor_units() -> None:
    key = (
        "GET /crm/v3/objects/invoices?limit=2&properties=hs_number&properties=hs_invoice_status&..."
    )
    first, second = (mapping.invoice(obj) for obj in hubspot_example(key)["results"])
    assert (first.number, first.currency, first.total, first.amount_remaining) == (
        "INV-1001",
        "usd",
        25000,
        25000,
    )
    assert first.status is InvoiceStatus.OPEN and first.customer_external_id is None
    assert (second.total, second.amount_remaining, second.status) == (9950, 0, InvoiceStatus.PAID)
    assert second.amount_paid is None  # not sent: not derived


@given(contacts())
def test_any_contact_maps_and_round_trips_its_fields(obj: dict[str, Any]) -> None:
    customer = mapping.contact(obj)
    props = obj["properties"]
    assert isinstance(customer, Customer)
    assert customer.external_id == obj["id"]
    assert (customer.email, customer.phone, customer.company) == (
        props["email"],
        props["phone"],
        props["company"],
    )
    names = [props[key] for key in ("firstname", "lastname") if props[key]]
    assert customer.name == (" ".join(names) or None)
    address = {ADDRESS_FIELDS[key]: props[key] for key in ADDRESS_FIELDS}
    if any(address.values()):
        assert customer.address is not None
        assert customer.address.model_dump(exclude={"line2"}) == address
    else:
        assert customer.address is None
    assert customer.deleted is obj.get("archived", False)
    assert customer.raw == obj


@given(invoices())
def test_any_invoice_maps_and_round_trips_its_fields(obj: dict[str, Any]) -> None:
    invoice = mapping.invoice(obj)
    props = obj["properties"]
    currency = props["hs_currency"]
    assert isinstance(invoice, Invoice)
    assert invoice.external_id == obj["id"]
    assert invoice.currency == currency.lower()
    assert invoice.total == invoice.amount_due == minor(props["hs_amount_billed"], currency)
    assert invoice.amount_remaining == minor(props["hs_balance_due"], currency)
    assert invoice.amount_paid == minor(props["hs_amount_paid"], currency)
    assert invoice.provider_status == props["hs_invoice_status"]
    expected_status = {"voided": InvoiceStatus.VOID}.get(props["hs_invoice_status"])
    assert invoice.status == (expected_status or InvoiceStatus(props["hs_invoice_status"]))
    linked = obj.get("associations", {}).get("contacts", {}).get("results", [])
    assert invoice.customer_external_id == (linked[0]["id"] if linked else None)
    if props["hs_due_date"] is None:
        assert invoice.due_at is None
    else:
        assert invoice.due_at is not None
        assert invoice.due_at.date().isoformat() == props["hs_due_date"]
    if props["hs_invoice_date"] is not None:
        assert invoice.issued_at is not None
        assert int(invoice.issued_at.timestamp() * 1000) == int(props["hs_invoice_date"])


def test_a_contact_link_from_an_association_read_wins_over_none() -> None:
    assert mapping.invoice(invoice_sample(), contact_id="1001").customer_external_id == "1001"


def test_sub_minor_digits_round_half_even() -> None:
    obj = invoice_sample()
    obj["properties"].update(hs_amount_billed="10.005", hs_balance_due="10.015")
    invoice = mapping.invoice(obj)
    assert (invoice.total, invoice.amount_remaining) == (1000, 1002)


def test_without_a_currency_amounts_stay_unknown() -> None:
    obj = invoice_sample()
    obj["properties"]["hs_currency"] = None
    invoice = mapping.invoice(obj)
    assert invoice.currency is None and invoice.total is None


WRONG_CONTACT = [
    ("id", None),
    ("id", 1001),
    ("properties", ["email"]),
    ("properties", {"email": 5, "lastmodifieddate": "2025-01-01T00:00:00Z"}),
    ("properties", {"lastmodifieddate": "last tuesday"}),
    ("archived", "yes"),
]
WRONG_INVOICE_PROPERTIES = [
    ("hs_amount_billed", "two hundred"),
    ("hs_amount_billed", "NaN"),
    ("hs_balance_due", "Infinity"),
    ("hs_currency", "US Dollar"),
    ("hs_due_date", "soon"),
    ("hs_number", 1001),
]


@given(contacts(), st.sampled_from(WRONG_CONTACT))
def test_a_malformed_contact_is_a_permanent_error(
    obj: dict[str, Any], wrong: tuple[str, object]
) -> None:
    key, value = wrong
    obj[key] = value
    if key == "properties":
        obj.pop("updatedAt")
    with pytest.raises(Permanent):
        mapping.record(Kind.CUSTOMER, obj)


@given(invoices(), st.sampled_from(WRONG_INVOICE_PROPERTIES))
def test_a_malformed_invoice_is_a_permanent_error(
    obj: dict[str, Any], wrong: tuple[str, object]
) -> None:
    key, value = wrong
    obj["properties"][key] = value
    with pytest.raises(Permanent):
        mapping.record(Kind.INVOICE, obj)


def test_malformed_associations_are_a_permanent_error() -> None:
    obj = invoice_sample()
    obj["associations"] = {"contacts": {"results": "1001"}}
    with pytest.raises(Permanent):
        mapping.invoice(obj)


@given(st.integers(min_value=0, max_value=4_102_444_800_000))
def test_millisecond_times_survive_exactly(ms: int) -> None:
    # Float maths truncates some of these (1079337347472 -> ...471), which would make a
    # search position miss the records at its own timestamp.
    moment = parse_instant(str(ms), "t")
    assert epoch_ms(moment) == ms
    assert epoch_ms(parse_instant(iso(moment), "t")) == ms


def test_a_known_float_trap_is_exact() -> None:
    assert epoch_ms(parse_instant("1079337347472", "t")) == 1079337347472
