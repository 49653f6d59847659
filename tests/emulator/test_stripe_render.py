"""Rendered objects have exactly the fields of Stripe's published fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orion.emulator.churn import ChurnSpec
from orion.emulator.stripe.render import (
    diff_previous,
    render_account,
    render_customer,
    render_event,
)
from tests.fixtures.emulator import EmulatorAccounts

FIXTURES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "stripe-core-objects.latest.json").read_text()
)["resources"]


def _keys(body: dict[str, Any]) -> set[str]:
    return set(body)


@pytest.fixture
def account_objects(emulator_accounts: EmulatorAccounts) -> dict[str, dict[str, Any]]:
    account = emulator_accounts.stripe(customers=3, invoices=3, seed=20)
    emulator_accounts.state.churn_stripe(account.api_key, customers=ChurnSpec(update=1), seed=1)
    customer = next(iter(account.customers.values()))
    invoice = next(iter(account.invoices.values()))
    event = next(e for e in account.events.values() if e.type == "customer.updated")
    return {
        "account": render_account(account.info),
        "customer": render_customer(customer),
        "invoice": account.render_invoice(invoice),
        "event": render_event(event, account.info),
    }


@pytest.mark.parametrize("name", ["account", "customer", "invoice", "event"])
def test_top_level_keys_match_fixture(
    account_objects: dict[str, dict[str, Any]], name: str
) -> None:
    assert _keys(account_objects[name]) == _keys(FIXTURES[name])


def test_invoice_line_items_match_fixture(account_objects: dict[str, dict[str, Any]]) -> None:
    lines = account_objects["invoice"]["lines"]

    assert _keys(lines) == _keys(FIXTURES["invoice"]["lines"])
    assert _keys(lines["data"][0]) == _keys(FIXTURES["line_item"])
    assert lines["data"][0]["amount"] == account_objects["invoice"]["subtotal"]


def test_address_and_status_transitions_shape(
    account_objects: dict[str, dict[str, Any]],
) -> None:
    invoice = account_objects["invoice"]
    assert _keys(invoice["status_transitions"]) == _keys(FIXTURES["invoice"]["status_transitions"])
    customer = account_objects["customer"]
    if customer["address"] is not None:
        assert _keys(customer["address"]) == _keys(FIXTURES["customer"]["address"])


def test_update_event_has_previous_attributes(account_objects: dict[str, dict[str, Any]]) -> None:
    event = account_objects["event"]

    assert event["type"] == "customer.updated"
    assert event["data"]["object"]["object"] == "customer"
    assert "previous_attributes" in event["data"]


def test_diff_previous_is_recursive() -> None:
    old = {"a": 1, "m": {"x": "1"}, "same": True}
    new = {"a": 2, "m": {"x": "1", "y": "2"}, "same": True}

    assert diff_previous(old, new) == {"a": 1, "m": {"y": None}}
