"""The Stripe connector against the provider emulator: completeness, faults, gaps."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from orion.connectors.config import ConnectorConfig
from orion.connectors.errors import BadCredentials, Permanent, RateLimited, Transient
from orion.connectors.stripe.connector import StripeConnector, build_stripe_connector
from orion.emulator.churn import ChurnSpec
from orion.emulator.faults import FaultRule
from orion.emulator.stripe.account import StripeAccount
from orion.records.unified import Customer, Invoice, Kind
from tests.connectors.paging import drain, ids
from tests.connectors.retrying import Retrier
from tests.fixtures.emulator import EmulatorAccounts

MONTH = timedelta(days=31)


def connect(
    accounts: EmulatorAccounts,
    account: StripeAccount | str,
    http: httpx.AsyncClient,
    *,
    skew: timedelta = timedelta(0),
) -> StripeConnector:
    key = account if isinstance(account, str) else account.api_key
    return build_stripe_connector(
        ConnectorConfig(
            credential=SecretStr(key),
            base_url=accounts.url,
            http_client=http,
            clock=lambda: datetime.now(UTC) + skew,
        )
    )


def live_ids(account: StripeAccount, kind: str) -> set[str]:
    return {entry.id for entry in account.truth()[kind] if not entry.deleted}


async def test_backfill_then_events_read_every_customer_exactly_once(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    account = emulator_accounts.stripe(customers=25_000, seed=1)
    connector = connect(emulator_accounts, account, http)
    assert await connector.validate() == account.id

    pages, cursor = await drain(connector, Kind.CUSTOMER, None)
    seen = Counter(ids(pages))
    assert set(seen) == live_ids(account, "customers") and len(seen) == 25_000
    assert set(seen.values()) == {1}
    assert '"mode":"events"' in (cursor or "")

    created = emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(create=25_000), seed=2
    )
    changed = emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(update=40, delete=15), seed=3, step_seconds=1
    )
    pages, _ = await drain(connector, Kind.CUSTOMER, cursor)
    records = [record for page in pages for record in page.records]
    assert [r.external_id for r in records] == [
        e.object.id for e in [*created.events, *changed.events]
    ]
    assert Counter(r.external_id for r in records[:25_000]) == Counter(created.customers.created)
    stamps = [r.source_updated_at for r in records]
    assert stamps == sorted(stamps)  # oldest first
    deleted = {r.external_id for r in records if r.deleted}
    assert deleted == set(changed.customers.deleted)


async def test_invoices_backfill_in_minor_units_for_both_kinds_of_customer_link(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    account = emulator_accounts.stripe(customers=40, invoices=250, seed=4)
    pages, _ = await drain(connect(emulator_accounts, account, http), Kind.INVOICE, None)
    invoices = [record for page in pages for record in page.records]
    assert Counter(r.external_id for r in invoices) == Counter(live_ids(account, "invoices"))
    for invoice in invoices:
        assert isinstance(invoice, Invoice)
        source = account.invoices[invoice.external_id]
        assert invoice.customer_external_id == source.customer
        assert invoice.currency == source.currency
        assert invoice.provider_status == source.status
        assert invoice.total == invoice.raw["total"] and isinstance(invoice.total, int)


async def test_a_storm_of_429s_and_500s_still_reads_every_page_once(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    account = emulator_accounts.stripe(customers=1_500, seed=5)
    emulator_accounts.state.faults.set_rules(
        "stripe",
        account.api_key,
        [
            FaultRule(kind="server_error", every=5, status=503),
            FaultRule(kind="rate_limit", probability=0.5, seed=7, retry_after=3),
        ],
    )
    retrier = Retrier()
    pages, _ = await drain(
        connect(emulator_accounts, account, http), Kind.CUSTOMER, None, call=retrier.call
    )
    seen = Counter(ids(pages))
    assert set(seen) == live_ids(account, "customers") and set(seen.values()) == {1}
    stats = emulator_accounts.state.faults.stats("stripe", account.api_key)
    assert stats["faults"]["rate_limit"] >= 5 and stats["faults"]["server_error"] >= 3
    # Each fault became exactly one classified error and one wait; the SDK never retried.
    assert retrier.count(RateLimited) == stats["faults"]["rate_limit"]
    assert retrier.count(Transient) == stats["faults"]["server_error"]
    assert {wait for kind, wait in retrier.waits if kind is RateLimited} == {3.0}
    assert all(entry["retried_at"] is not None for entry in stats["rate_limited"])


async def test_a_redirect_is_refused_and_never_followed(
    emulator_accounts: EmulatorAccounts,
) -> None:
    account = emulator_accounts.stripe(customers=3)
    emulator_accounts.state.faults.set_rules(
        "stripe", account.api_key, [FaultRule(kind="redirect", first=1)]
    )
    before = len(emulator_accounts.state.faults.trap_hits())
    async with httpx.AsyncClient(follow_redirects=True) as following:
        with pytest.raises(Permanent, match="redirect"):
            await connect(emulator_accounts, account, following).validate()
    assert len(emulator_accounts.state.faults.trap_hits()) == before


async def test_a_wrong_key_is_bad_credentials_with_an_actionable_message(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    key = "sk_test_thisKeyWasRevoked00000042"
    with pytest.raises(BadCredentials) as caught:
        await connect(emulator_accounts, key, http).list_page(Kind.CUSTOMER, None)
    assert "Update the connection's key" in str(caught.value)
    assert key not in str(caught.value) and "0042" not in str(caught.value)


@pytest.mark.parametrize("aged_by", ["stripe", "our clock"])
async def test_a_cursor_older_than_thirty_days_relists_everything_as_a_gap(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient, aged_by: str
) -> None:
    account = emulator_accounts.stripe(customers=250, seed=6)
    _, cursor = await drain(connect(emulator_accounts, account, http), Kind.CUSTOMER, None)
    emulator_accounts.state.churn_stripe(account.api_key, customers=ChurnSpec(update=5), seed=1)
    _, cursor = await drain(connect(emulator_accounts, account, http), Kind.CUSTOMER, cursor)

    if aged_by == "stripe":
        account.clock.advance(MONTH.total_seconds())  # Stripe has dropped the cursor's event
        later = connect(emulator_accounts, account, http)
    else:
        later = connect(emulator_accounts, account, http, skew=MONTH)
    with capture_logs() as logs:
        pages, cursor = await drain(later, Kind.CUSTOMER, cursor, max_pages=10)
    assert pages[0].gap is True and not any(page.gap for page in pages[1:])
    assert Counter(ids(pages)) == Counter(live_ids(account, "customers"))  # a full re-list
    gaps = [log for log in logs if log["event"] == "stripe.sync.gap"]
    assert len(gaps) == 1 and gaps[0]["log_level"] == "warning"

    if aged_by == "stripe":
        news = emulator_accounts.state.churn_stripe(
            account.api_key, customers=ChurnSpec(create=3), seed=9
        )
        pages, _ = await drain(later, Kind.CUSTOMER, cursor)
        assert ids(pages) == news.customers.created
        assert not any(page.gap for page in pages)


async def test_fetch_sees_deletions_and_unknown_objects(
    emulator_accounts: EmulatorAccounts, http: httpx.AsyncClient
) -> None:
    account = emulator_accounts.stripe(customers=5, invoices=5, seed=8)
    churn = emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(delete=1), seed=1
    )
    connector = connect(emulator_accounts, account, http)
    gone = await connector.fetch(Kind.CUSTOMER, churn.customers.deleted[0])
    assert isinstance(gone, Customer) and gone.deleted is True
    assert await connector.fetch(Kind.INVOICE, "in_doesnotexist") is None
