"""Contact `state` and invoice payment fields: present, deterministic, consistent with status."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from orion.emulator.churn import ChurnSpec
from orion.emulator.fakedata import REGIONS
from tests.fixtures.emulator import EmulatorAccounts

INVOICE_PROPERTIES = (
    "hs_invoice_status,hs_amount_billed,hs_amount_paid,hs_balance_due,hs_payment_date,"
    "hs_invoice_date,hs_lastmodifieddate"
)


def _all(client: httpx.Client, path: str, properties: str) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params = {"limit": "100", "properties": properties, **({"after": after} if after else {})}
        body = client.get(path, params=params).raise_for_status().json()
        results += body["results"]
        if "paging" not in body:
            return results
        after = body["paging"]["next"]["after"]


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _assert_consistent(invoice: dict[str, Any]) -> None:
    props = invoice["properties"]
    status = props["hs_invoice_status"]
    billed, paid = Decimal(props["hs_amount_billed"]), Decimal(props["hs_amount_paid"])
    balance = Decimal(props["hs_balance_due"])
    if status == "paid":
        assert (paid, balance) == (billed, 0)
        paid_at = _ms(props["hs_payment_date"])
        assert _ms(props["hs_invoice_date"]) <= paid_at <= _ms(props["hs_lastmodifieddate"])
    else:
        assert props["hs_payment_date"] is None
        assert paid == 0
        assert balance == (0 if status == "voided" else billed)


def test_contacts_have_a_state_matching_their_city(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=120, seed=1)
    client = emulator_accounts.hubspot_client(portal)

    contacts = _all(client, "/crm/v3/objects/contacts", "city,state,zip")

    states = [c["properties"]["state"] for c in contacts]
    assert sum(s is not None for s in states) > 40
    for contact in contacts:
        city = contact["properties"]["city"]
        assert contact["properties"]["state"] == (REGIONS[city] if city else None)


def test_invoice_payments_follow_the_status(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=20, invoices=200, seed=2)
    client = emulator_accounts.hubspot_client(portal)

    invoices = _all(client, "/crm/v3/objects/invoices", INVOICE_PROPERTIES)

    assert {i["properties"]["hs_invoice_status"] for i in invoices} >= {"paid", "open", "draft"}
    for invoice in invoices:
        _assert_consistent(invoice)


def test_churn_keeps_payments_and_places_consistent(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=30, invoices=60, seed=3)
    state = emulator_accounts.state
    opened = {
        i for i, o in portal.objects["invoices"].items() if o.values["hs_invoice_status"] == "open"
    }
    for round_seed in range(4):
        state.churn_hubspot(
            portal.access_token,
            contacts=ChurnSpec(update=10),
            invoices=ChurnSpec(create=3, update_fraction=0.5),
            seed=round_seed,
            step_ms=7,
        )
    client = emulator_accounts.hubspot_client(portal)

    invoices = _all(client, "/crm/v3/objects/invoices", INVOICE_PROPERTIES)
    contacts = _all(client, "/crm/v3/objects/contacts", "city,state")

    for invoice in invoices:
        _assert_consistent(invoice)
    newly_paid = [
        portal.objects["invoices"][i]
        for i in opened
        if portal.objects["invoices"][i].values["hs_invoice_status"] == "paid"
    ]
    assert newly_paid
    for invoice in newly_paid:  # paid by churn: the payment is a change with its own time
        history = invoice.history["hs_payment_date"]
        assert history[-1][0] == history[-1][1] == invoice.values["hs_payment_date"]
    for contact in contacts:
        city = contact["properties"]["city"]
        assert contact["properties"]["state"] == (REGIONS[city] if city else None)


def test_the_same_seed_gives_the_same_fields(emulator_accounts: EmulatorAccounts) -> None:
    now_ms = 1_767_225_600_000  # seeding is relative to "now": pin it
    first = emulator_accounts.hubspot(contacts=15, invoices=30, seed=4, now_ms=now_ms)
    second = emulator_accounts.hubspot(contacts=15, invoices=30, seed=4, now_ms=now_ms)

    def values(portal: Any) -> list[dict[str, Any]]:
        return [
            o.values for kind in ("contacts", "invoices") for o in portal.objects[kind].values()
        ]

    assert values(first) == values(second)
