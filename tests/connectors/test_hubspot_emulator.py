"""The HubSpot connector against the provider emulator: search past the cap, limits, faults."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from orion.connectors.cursor import encode
from orion.connectors.errors import BadCredentials, Permanent, RateLimited, Transient
from orion.connectors.hubspot.connector import HubSpotConnector
from orion.connectors.hubspot.cursor import Position, Search
from orion.connectors.hubspot.http import HubSpotHttp
from orion.connectors.shapes import epoch_ms
from orion.emulator.churn import ChurnSpec
from orion.emulator.faults import FaultRule
from orion.emulator.hubspot.portal import HubSpotPortal
from orion.emulator.hubspot.ratelimit import RateLimits
from orion.records.unified import Customer, Invoice, Kind
from tests.connectors.paging import drain, ids
from tests.connectors.retrying import Retrier
from tests.fixtures.emulator import EmulatorAccounts

UNLIMITED = RateLimits(burst_max=10**9, daily_max=10**9, search_max=10**9, burst_interval_ms=10_000)


def connect(
    accounts: EmulatorAccounts,
    token: str,
    http: httpx.AsyncClient,
    monotonic: Callable[[], float] = lambda: 0.0,
) -> HubSpotConnector:
    return HubSpotConnector(
        HubSpotHttp(
            http,
            base_url=accounts.url,
            token=SecretStr(token),
            timeout=httpx.Timeout(30.0),
            clock=lambda: datetime.now(UTC),
            monotonic=monotonic,
        )
    )


def live(portal: HubSpotPortal, object_type: str) -> set[str]:
    return {str(i) for i in portal.active_ids(object_type)}


def search_from_the_start(kind: Kind) -> str:
    return encode(Search(kind=kind, pos=Position()))


async def test_search_reads_25k_contacts_exactly_once_across_the_10k_cap(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    portal = emulator_accounts.hubspot(contacts=25_000, seed=1, rate_limits=UNLIMITED)
    # 3,000 contacts changed in the same millisecond: a tie group larger than any page.
    emulator_accounts.state.churn_hubspot(
        portal.access_token, contacts=ChurnSpec(update=3_000), seed=2, step_ms=0
    )
    connector = connect(emulator_accounts, portal.access_token, http)
    pages, _ = await drain(connector, Kind.CUSTOMER, search_from_the_start(Kind.CUSTOMER))
    seen = Counter(ids(pages))
    assert set(seen) == live(portal, "contacts") and len(seen) == 25_000
    assert set(seen.values()) == {1}
    stats = emulator_accounts.state.faults.stats("hubspot", portal.access_token)
    assert stats["statuses"] == {"200": stats["requests"]}  # never a 400 for paging past 10k


async def test_backfill_then_incremental_reads_changes_and_archives(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    portal = emulator_accounts.hubspot(contacts=350, seed=3, rate_limits=UNLIMITED)
    state = emulator_accounts.state
    state.churn_hubspot(portal.access_token, contacts=ChurnSpec(delete=6), seed=4, step_ms=5)
    connector = connect(emulator_accounts, portal.access_token, http)
    assert await connector.validate() == str(portal.portal_id)

    pages, cursor = await drain(connector, Kind.CUSTOMER, None)
    records = [record for page in pages for record in page.records]
    assert {r.external_id for r in records if not r.deleted} == live(portal, "contacts")
    archived = {str(i) for i in portal.objects["contacts"]} - live(portal, "contacts")
    assert {r.external_id for r in records if r.deleted} == archived

    churn = state.churn_hubspot(
        portal.access_token, contacts=ChurnSpec(create=5, update=7, delete=4), seed=5, step_ms=3
    )
    pages, cursor = await drain(connector, Kind.CUSTOMER, cursor)
    changed = [record for page in pages for record in page.records]
    assert {r.external_id for r in changed if not r.deleted} >= {
        *churn.contacts.created,
        *churn.contacts.updated,
    }
    for record in changed:
        if record.external_id in churn.contacts.updated:
            source = portal.objects["contacts"][int(record.external_id)]
            assert epoch_ms(record.source_updated_at) == source.updated_ms
    deleted = {r.external_id for r in changed if r.deleted}
    newest_before = max(archived, key=lambda i: portal.objects["contacts"][int(i)].archived_ms or 0)
    # New archives are seen; of the older ones at most the newest (at the floor) again.
    assert deleted == set(churn.contacts.deleted) | {newest_before}

    later = state.churn_hubspot(portal.access_token, contacts=ChurnSpec(delete=3), seed=6)
    pages, _ = await drain(connector, Kind.CUSTOMER, cursor)
    deleted = {r.external_id for page in pages for r in page.records if r.deleted}
    # The floor lags one sweep (re-reading is harmless under newest-wins, missing is not).
    assert deleted >= set(later.contacts.deleted)
    assert deleted <= set(later.contacts.deleted) | set(churn.contacts.deleted) | {newest_before}


async def test_invoices_backfill_keeps_the_contact_link_and_minor_units(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    portal = emulator_accounts.hubspot(contacts=30, invoices=120, seed=6, rate_limits=UNLIMITED)
    connector = connect(emulator_accounts, portal.access_token, http)
    invoices: list[Invoice] = []
    cursor = None
    while cursor is None or '"mode":"list"' in cursor:  # the backfill's list phases
        page = await connector.list_page(Kind.INVOICE, cursor)
        invoices += [r for r in page.records if isinstance(r, Invoice)]
        cursor = page.next_cursor
    assert Counter(i.external_id for i in invoices) == Counter(live(portal, "invoices"))
    for invoice in invoices:
        source = portal.objects["invoices"][int(invoice.external_id)]
        assert invoice.customer_external_id == str(source.associations["contacts"][0])
        billed = str(source.values["hs_amount_billed"])
        assert invoice.total == round(float(billed) * 100)


async def test_a_storm_of_429s_and_500s_still_reads_every_page_once(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    portal = emulator_accounts.hubspot(contacts=3_000, seed=7, rate_limits=UNLIMITED)
    emulator_accounts.state.faults.set_rules(
        "hubspot",
        portal.access_token,
        [
            FaultRule(kind="server_error", every=6, status=502),
            FaultRule(kind="rate_limit", probability=0.5, seed=3, retry_after=2),
        ],
    )
    retrier = Retrier()
    connector = connect(emulator_accounts, portal.access_token, http, retrier.monotonic)
    pages, _ = await drain(
        connector, Kind.CUSTOMER, search_from_the_start(Kind.CUSTOMER), call=retrier.call
    )
    seen = Counter(ids(pages))
    assert set(seen) == live(portal, "contacts") and set(seen.values()) == {1}
    stats = emulator_accounts.state.faults.stats("hubspot", portal.access_token)
    assert stats["faults"]["rate_limit"] >= 4 and stats["faults"]["server_error"] >= 2
    assert retrier.count(RateLimited) == stats["faults"]["rate_limit"]
    assert retrier.count(Transient) == stats["faults"]["server_error"]
    assert {wait for kind, wait in retrier.waits if kind is RateLimited} == {2.0}


async def test_an_exhausted_rate_window_is_waited_out_without_extra_requests(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    limits = RateLimits(burst_max=3, burst_interval_ms=10_000, daily_max=10**6, search_max=10**6)
    portal = emulator_accounts.hubspot(contacts=5, rate_limits=limits)
    retrier = Retrier()
    connector = connect(emulator_accounts, portal.access_token, http, retrier.monotonic)
    for _ in range(3):
        await connector.validate()
    with pytest.raises(RateLimited) as caught:
        await connector.validate()
    assert caught.value.retry_after == 10.0
    stats = emulator_accounts.state.faults.stats("hubspot", portal.access_token)
    assert stats["requests"] == 3 and "429" not in stats["statuses"]
    portal.clock.advance(10)
    retrier.now += caught.value.retry_after
    assert await connector.validate() == str(portal.portal_id)


async def test_a_redirect_is_refused_and_never_followed(
    emulator_accounts: EmulatorAccounts,
) -> None:
    portal = emulator_accounts.hubspot(contacts=2, rate_limits=UNLIMITED)
    emulator_accounts.state.faults.set_rules(
        "hubspot", portal.access_token, [FaultRule(kind="redirect", first=1, redirect_status=302)]
    )
    before = len(emulator_accounts.state.faults.trap_hits())
    async with httpx.AsyncClient(follow_redirects=True) as following:
        with pytest.raises(Permanent, match="redirect"):
            await connect(emulator_accounts, portal.access_token, following).validate()
    assert len(emulator_accounts.state.faults.trap_hits()) == before


async def test_a_wrong_token_is_bad_credentials_with_an_actionable_message(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    token = "pat-na1-revoked-0000-1111-2222"
    with pytest.raises(BadCredentials) as caught:
        await connect(emulator_accounts, token, http).list_page(Kind.CUSTOMER, None)
    assert "Reconnect the HubSpot account" in str(caught.value)
    assert token not in str(caught.value)


async def test_fetch_finds_archived_contacts_and_none_for_unknown_ones(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    portal = emulator_accounts.hubspot(contacts=4, rate_limits=UNLIMITED)
    churn = emulator_accounts.state.churn_hubspot(
        portal.access_token, contacts=ChurnSpec(delete=1), seed=1
    )
    connector = connect(emulator_accounts, portal.access_token, http)
    gone = await connector.fetch(Kind.CUSTOMER, churn.contacts.deleted[0])
    assert isinstance(gone, Customer) and gone.deleted is True
    assert await connector.fetch(Kind.CUSTOMER, "999999999") is None
