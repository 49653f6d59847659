"""The HubSpot connector against emulator behaviour it used to miss: invoice associations on
search pages (v4 batch read), payment fields, contact state, and disabled rate limits."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
from pydantic import SecretStr

from orion.connectors.hubspot.connector import HubSpotConnector
from orion.connectors.hubspot.http import HubSpotHttp
from orion.connectors.shapes import epoch_ms
from orion.emulator.churn import ChurnSpec
from orion.emulator.hubspot.portal import HubSpotPortal
from orion.emulator.hubspot.ratelimit import RateLimits
from orion.records.unified import Customer, Invoice, InvoiceStatus, Kind
from tests.connectors.paging import drain
from tests.fixtures.emulator import EmulatorAccounts

UNLIMITED = RateLimits(burst_max=10**9, daily_max=10**9, search_max=10**9)
DISABLED = RateLimits(burst_max=0, daily_max=0, search_max=0)


def connect(accounts: EmulatorAccounts, token: str, http: httpx.AsyncClient) -> HubSpotConnector:
    return HubSpotConnector(
        HubSpotHttp(
            http,
            base_url=accounts.url,
            token=SecretStr(token),
            timeout=httpx.Timeout(30.0),
            clock=lambda: datetime.now(UTC),
        ),
        search_page_size=20,  # several search pages per incremental run
    )


def _assert_matches_source(invoice: Invoice, portal: HubSpotPortal) -> None:
    source = portal.objects["invoices"][int(invoice.external_id)]
    values = source.values
    assert invoice.customer_external_id == str(source.associations["contacts"][0])
    assert invoice.provider_status == values["hs_invoice_status"]
    assert invoice.amount_paid == int(Decimal(str(values["hs_amount_paid"])) * 100)
    if invoice.status is InvoiceStatus.PAID:
        assert invoice.amount_paid == invoice.total and invoice.amount_remaining == 0
        assert invoice.paid_at is not None
        assert epoch_ms(invoice.paid_at) == values["hs_payment_date"]
    else:
        assert invoice.paid_at is None


async def test_invoice_incremental_sync_links_every_invoice_to_its_contact(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    portal = emulator_accounts.hubspot(contacts=25, invoices=90, seed=21, rate_limits=UNLIMITED)
    state = emulator_accounts.state
    connector = connect(emulator_accounts, portal.access_token, http)

    pages, cursor = await drain(connector, Kind.INVOICE, None)  # backfill, then catch up
    backfilled = [r for page in pages for r in page.records if isinstance(r, Invoice)]
    assert {i.external_id for i in backfilled} >= {str(i) for i in portal.active_ids("invoices")}

    churn = state.churn_hubspot(
        portal.access_token,
        invoices=ChurnSpec(create=6, update=45, delete=3),
        seed=22,
        step_ms=3,
    )
    pages, cursor = await drain(connector, Kind.INVOICE, cursor)
    assert '"mode":"search"' in (cursor or "")
    searched = [r for page in pages for r in page.records if isinstance(r, Invoice)]
    live = [i for i in searched if not i.deleted]

    assert len(pages) > 3  # the changes came in several search pages
    assert {i.external_id for i in live} >= {*churn.invoices.created, *churn.invoices.updated}
    assert {i.external_id for i in searched if i.deleted} >= set(churn.invoices.deleted)
    assert all(i.customer_external_id for i in live)
    for invoice in live:
        _assert_matches_source(invoice, portal)
    assert any(i.status is InvoiceStatus.PAID for i in live)
    stats = state.faults.stats("hubspot", portal.access_token)
    assert set(stats["statuses"]) == {"200"}


async def test_contacts_carry_their_state(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    portal = emulator_accounts.hubspot(contacts=60, seed=23, rate_limits=UNLIMITED)
    connector = connect(emulator_accounts, portal.access_token, http)

    pages, _ = await drain(connector, Kind.CUSTOMER, None)

    customers = [r for page in pages for r in page.records if isinstance(r, Customer)]
    with_state = [c for c in customers if c.address is not None and c.address.state]
    assert with_state
    for customer in with_state:
        source = portal.objects["contacts"][int(customer.external_id)]
        assert customer.address is not None
        assert customer.address.state == source.values["state"]


async def test_disabled_rate_limits_are_not_read_as_used_up(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    portal = emulator_accounts.hubspot(contacts=250, invoices=40, seed=24, rate_limits=DISABLED)
    connector = connect(emulator_accounts, portal.access_token, http)

    for _ in range(3):
        assert await connector.validate() == str(portal.portal_id)
    pages, _ = await drain(connector, Kind.CUSTOMER, None)

    assert len(pages) > 3
    stats = emulator_accounts.state.faults.stats("hubspot", portal.access_token)
    assert set(stats["statuses"]) == {"200"}
