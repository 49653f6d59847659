"""Seeding: reproducible for a seed, unique ids across accounts, scales to 100k."""

from __future__ import annotations

import pytest

from orion.emulator.state import DuplicateKeyError, EmulatorState
from orion.emulator.stripe.params import ListParams
from tests.fixtures.emulator import EmulatorAccounts


def test_same_seed_and_key_give_identical_data() -> None:
    one = EmulatorState().add_stripe_account(
        api_key="sk_test_same", customers=50, invoices=80, seed=4, now=1_700_000_000
    )
    two = EmulatorState().add_stripe_account(
        api_key="sk_test_same", customers=50, invoices=80, seed=4, now=1_700_000_000
    )

    assert one.customers == two.customers
    assert one.invoices == two.invoices
    assert [t.hash for t in one.truth()["invoices"]] == [t.hash for t in two.truth()["invoices"]]


def test_ids_are_unique_across_accounts_with_the_same_seed() -> None:
    state = EmulatorState()
    one = state.add_stripe_account(customers=20, invoices=20, seed=1)
    two = state.add_stripe_account(customers=20, invoices=20, seed=1)

    assert not set(one.customers) & set(two.customers)
    assert not set(one.invoices) & set(two.invoices)
    assert one.id != two.id


def test_ids_follow_creation_order() -> None:
    account = EmulatorState().add_stripe_account(customers=300, seed=2)

    by_created = sorted(account.customers.values(), key=lambda c: c.created)

    assert [c.id for c in by_created] == sorted(account.customers)


def test_hubspot_seed_is_reproducible() -> None:
    one = EmulatorState().add_hubspot_portal(
        access_token="t", contacts=30, invoices=10, seed=5, now_ms=1_700_000_000_000
    )
    two = EmulatorState().add_hubspot_portal(
        access_token="t", contacts=30, invoices=10, seed=5, now_ms=1_700_000_000_000
    )

    assert one.truth() == two.truth()


def test_duplicate_keys_are_refused() -> None:
    state = EmulatorState()
    state.add_stripe_account(api_key="sk_test_dup")
    state.add_hubspot_portal(access_token="dup")

    with pytest.raises(DuplicateKeyError):
        state.add_stripe_account(api_key="sk_test_dup")
    with pytest.raises(DuplicateKeyError):
        state.add_hubspot_portal(access_token="dup")


def test_demo_state_has_documented_keys() -> None:
    state = EmulatorState.demo(customers=3, invoices=2)

    assert state.stripe_account("sk_test_orion_demo") is not None
    portal = state.hubspot_portal("pat-na1-orion-demo")
    assert portal is not None
    assert portal.portal_id == 12345678


def test_hundred_thousand_customers_page_from_both_ends(
    emulator_accounts: EmulatorAccounts,
) -> None:
    account = emulator_accounts.stripe(customers=100_000, seed=6)
    client = emulator_accounts.stripe_client(account)
    newest = account.customer_index.ids_newest_first()

    first = client.v1.customers.list(params={"limit": 100})
    deep = client.v1.customers.list(params={"limit": 100, "starting_after": newest[50_000]})
    last, has_more = account.list_customers(ListParams(limit=100, ending_before=newest[-1]))

    assert [c.id for c in first] == newest[:100]
    assert [c.id for c in deep] == newest[50_001:50_101]
    assert [c.id for c in last] == newest[-101:-1]
    assert has_more


def test_some_customers_lack_email_or_name() -> None:
    account = EmulatorState().add_stripe_account(customers=300, seed=7)
    customers = list(account.customers.values())

    assert any(c.email is None for c in customers)
    assert any(c.name is None for c in customers)
    assert sum(c.email is not None for c in customers) > 200
