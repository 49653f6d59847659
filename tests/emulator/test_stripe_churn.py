"""Churn produces exactly the changes it reports, with Stripe's events; events expire."""

from __future__ import annotations

import pytest
import stripe

from orion.emulator.churn import ChurnSpec
from orion.emulator.stripe.account import EVENT_RETENTION_SECONDS
from orion.emulator.stripe.churn import churn_account
from tests.fixtures.emulator import EmulatorAccounts


def test_churn_reports_exact_changes_and_events(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=20, invoices=30, seed=11)
    before = {c.id: c.version for c in account.customers.values()}

    result = churn_account(
        account,
        customers=ChurnSpec(create=3, update=4, delete=2),
        invoices=ChurnSpec(create=2, update=5),
        seed=5,
    )

    changes = result.customers
    assert len(changes.created) == 3
    assert len(changes.updated) == 4
    assert len(changes.deleted) == 2
    assert not set(changes.updated) & set(changes.deleted)
    assert all(account.customers[i].version == before[i] + 1 for i in changes.updated)
    assert all(account.customers[i].deleted for i in changes.deleted)
    types = [e.type for e in result.events]
    assert types.count("customer.created") == 3
    assert types.count("customer.updated") == 4
    assert types.count("customer.deleted") == 2
    assert types.count("invoice.created") == 2
    assert types.count("invoice.updated") == 5
    created = [e.created for e in result.events]
    assert created == sorted(created)


def test_update_event_carries_previous_attributes(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=5, seed=12)
    client = emulator_accounts.stripe_client(account)
    old = dict(account.customers)

    result = churn_account(account, customers=ChurnSpec(update=1), seed=3)
    event = client.v1.events.retrieve(result.events[0].id)

    customer_id = result.customers.updated[0]
    assert event.type == "customer.updated"
    assert event.data.object.id == customer_id
    assert event.data.previous_attributes is not None
    previous = event.data.previous_attributes.to_dict()
    assert previous["metadata"] == {"orion_rev": None}
    for field in ("email", "name", "phone"):
        if field in previous:
            assert previous[field] == getattr(old[customer_id], field)
            assert getattr(event.data.object, field) == getattr(
                account.customers[customer_id], field
            )


def test_invoice_lifecycle_events(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=2, seed=13)
    created = churn_account(account, invoices=ChurnSpec(create=1), seed=1)
    invoice_id = created.invoices.created[0]

    finalize = churn_account(account, invoices=ChurnSpec(update=1), seed=1)
    pay = churn_account(account, invoices=ChurnSpec(update=1), seed=1)

    assert [e.type for e in created.events] == ["invoice.created"]
    assert [e.type for e in finalize.events] == ["invoice.finalized", "invoice.updated"]
    assert [e.type for e in pay.events] == [
        "invoice.paid",
        "invoice.payment_succeeded",
        "invoice.updated",
    ]
    assert account.invoices[invoice_id].status == "paid"
    assert pay.events[-1].previous_attributes is not None
    assert pay.events[-1].previous_attributes["status"] == "open"


def test_only_draft_invoices_are_deleted(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=5, invoices=40, seed=14)
    drafts = {i.id for i in account.invoices.values() if i.status == "draft"}
    client = emulator_accounts.stripe_client(account)

    result = churn_account(account, invoices=ChurnSpec(delete=len(drafts) + 5), seed=2)

    assert set(result.invoices.deleted) == drafts
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.retrieve(next(iter(drafts)))


def test_fractions_apply_to_existing_objects(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=50, seed=15)

    result = churn_account(
        account, customers=ChurnSpec(update_fraction=0.2, delete_fraction=0.1), seed=4
    )

    assert len(result.customers.updated) == 10
    assert len(result.customers.deleted) == 5


def test_seeded_churn_is_reproducible(emulator_accounts: EmulatorAccounts) -> None:
    first = emulator_accounts.stripe(customers=30, seed=16, now=1_700_000_000)
    second = emulator_accounts.stripe(customers=30, seed=16, now=1_700_000_000)

    one = churn_account(first, customers=ChurnSpec(update=5, delete=3), seed=9)
    two = churn_account(second, customers=ChurnSpec(update=5, delete=3), seed=9)

    # Ids differ per account (keys are mixed into ids) but the choice of objects and
    # the data are the same.
    position = {cid: n for n, cid in enumerate(first.customer_index.ids_newest_first())}
    order_one = [position[i] for i in one.customers.updated]
    position_two = {cid: n for n, cid in enumerate(second.customer_index.ids_newest_first())}
    assert order_one == [position_two[i] for i in two.customers.updated]
    emails_one = sorted(str(c.email) for c in first.customers.values())
    assert emails_one == sorted(str(c.email) for c in second.customers.values())


def test_events_expire_after_30_days(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=3, seed=17)
    result = churn_account(account, customers=ChurnSpec(create=2), seed=1)
    client = emulator_accounts.stripe_client(account)
    cursor = result.events[0].id
    assert client.v1.events.retrieve(cursor).id == cursor

    account.clock.advance(EVENT_RETENTION_SECONDS + 60)

    with pytest.raises(stripe.InvalidRequestError) as retrieve_error:
        client.v1.events.retrieve(cursor)
    with pytest.raises(stripe.InvalidRequestError) as cursor_error:
        client.v1.events.list(params={"starting_after": cursor})
    assert retrieve_error.value.http_status == 404
    assert cursor_error.value.param == "starting_after"
    assert cursor_error.value.code == "resource_missing"
    assert list(client.v1.events.list()) == []


def test_seeded_events_only_inside_retention(emulator_accounts: EmulatorAccounts) -> None:
    now = 1_750_000_000
    account = emulator_accounts.stripe(customers=200, invoices=100, seed=18, now=now)
    floor = now - EVENT_RETENTION_SECONDS

    recent = {c.id for c in account.customers.values() if c.created >= floor}
    events = {e.object.id for e in account.events.values() if e.type == "customer.created"}

    assert recent
    assert events == recent


def test_truth_set_tracks_versions_and_deletions(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=10, invoices=10, seed=19)
    before = {e.id: e for e in account.truth()["customers"]}

    result = churn_account(account, customers=ChurnSpec(update=2, delete=1, create=1), seed=7)
    after = {e.id: e for e in account.truth()["customers"]}

    assert set(after) == set(before) | set(result.customers.created)
    for customer_id in result.customers.updated:
        assert after[customer_id].version == before[customer_id].version + 1
        assert after[customer_id].hash != before[customer_id].hash
    deleted = result.customers.deleted[0]
    assert after[deleted].deleted is True
    untouched = set(before) - set(result.customers.updated) - set(result.customers.deleted)
    assert all(after[i].hash == before[i].hash for i in untouched)
