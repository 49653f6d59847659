"""The unified models: frozen, UTC, None for what the provider did not send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from orion.records.unified import (
    Customer,
    Invoice,
    InvoiceStatus,
    Kind,
    Provider,
    Record,
)

WHEN = datetime(2025, 3, 2, 17, 40, 3, tzinfo=UTC)


def test_a_customer_with_only_an_id_invents_nothing() -> None:
    customer = Customer(
        provider=Provider.STRIPE, external_id="cus_1", source_updated_at=WHEN, raw={}
    )
    assert customer.kind is Kind.CUSTOMER
    assert (customer.email, customer.name, customer.phone, customer.company) == (None,) * 4
    assert customer.address is None
    assert customer.deleted is False


def test_times_are_normalised_to_utc_and_naive_times_are_refused() -> None:
    paris = timezone(timedelta(hours=1))
    invoice = Invoice(
        provider=Provider.HUBSPOT,
        external_id="7001",
        source_updated_at=datetime(2025, 1, 1, 1, 0, tzinfo=paris),
        due_at=datetime(2025, 2, 1, 1, 0, tzinfo=paris),
        raw={},
    )
    assert invoice.source_updated_at == datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    assert invoice.source_updated_at.utcoffset() == timedelta(0)
    assert invoice.due_at is not None and invoice.due_at.tzinfo == UTC
    with pytest.raises(ValidationError):
        Invoice(
            provider=Provider.HUBSPOT,
            external_id="7001",
            source_updated_at=datetime(2025, 1, 1),  # naive: the point of the test
            raw={},
        )


@pytest.mark.parametrize("currency", ["USD", "usdollar", "us", ""])
def test_currency_must_be_an_iso_code_in_lower_case(currency: str) -> None:
    with pytest.raises(ValidationError):
        Invoice(
            provider=Provider.STRIPE,
            external_id="in_1",
            source_updated_at=WHEN,
            currency=currency,
            raw={},
        )


def test_records_are_frozen_and_reject_unknown_fields() -> None:
    customer = Customer(
        provider=Provider.STRIPE, external_id="cus_1", source_updated_at=WHEN, raw={}
    )
    with pytest.raises(ValidationError):
        customer.email = "x@example.com"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Customer(
            provider=Provider.STRIPE,
            external_id="cus_1",
            source_updated_at=WHEN,
            raw={},
            nickname="x",  # type: ignore[call-arg]
        )
    with pytest.raises(ValidationError):
        Customer(provider=Provider.STRIPE, external_id="", source_updated_at=WHEN, raw={})


def test_a_record_survives_a_json_round_trip_as_the_right_kind() -> None:
    invoice = Invoice(
        provider=Provider.STRIPE,
        external_id="in_1",
        source_updated_at=WHEN,
        currency="jpy",
        total=1000,
        status=InvoiceStatus.PAID,
        provider_status="paid",
        raw={"id": "in_1", "nested": {"lines": [1, 2]}},
    )
    adapter: TypeAdapter[Customer | Invoice] = TypeAdapter(Record)
    again = adapter.validate_json(adapter.dump_json(invoice))
    assert isinstance(again, Invoice)
    assert again == invoice
