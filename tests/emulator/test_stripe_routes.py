"""The Stripe API as the official SDK sees it: auth, lists, cursors, filters, errors."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
import stripe

from orion.emulator.churn import ChurnSpec
from tests.fixtures.emulator import EmulatorAccounts


def test_account_object_for_key(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe()
    client = emulator_accounts.stripe_client(account)

    fetched = client.v1.accounts.retrieve_current()

    assert fetched.id == account.id
    assert fetched.id.startswith("acct_")
    assert fetched.object == "account"


def test_unknown_key_is_401_with_masked_key(emulator_accounts: EmulatorAccounts) -> None:
    client = stripe.StripeClient(
        "sk_test_doesnotexist1234abcd", base_addresses={"api": emulator_accounts.url}
    )

    with pytest.raises(stripe.AuthenticationError) as caught:
        client.v1.customers.list()

    assert caught.value.http_status == 401
    assert caught.value.headers is not None
    assert caught.value.headers["WWW-Authenticate"] == 'Basic realm="Stripe"'
    assert caught.value.user_message == ("Invalid API Key provided: sk_test_****************abcd")
    body = caught.value.json_body
    assert isinstance(body, dict)
    assert body["error"]["type"] == "invalid_request_error"


def test_basic_auth_with_key_as_user(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=3)
    token = base64.b64encode(f"{account.api_key}:".encode()).decode()

    response = httpx.get(
        f"{emulator_accounts.url}/v1/customers", headers={"Authorization": f"Basic {token}"}
    )

    assert response.status_code == 200
    assert len(response.json()["data"]) == 3
    assert response.headers["request-id"].startswith("req_")


def test_list_is_newest_first_and_auto_paging_sees_everything_once(
    emulator_accounts: EmulatorAccounts,
) -> None:
    account = emulator_accounts.stripe(customers=57, seed=3)
    client = emulator_accounts.stripe_client(account)

    first = client.v1.customers.list(params={"limit": 10})
    seen = [c.id for c in first.auto_paging_iter()]

    assert first["object"] == "list"
    assert first.url == "/v1/customers"
    assert first.has_more is True
    assert len(seen) == 57
    assert len(set(seen)) == 57
    expected = sorted(account.customers.values(), key=lambda c: (c.created, c.id), reverse=True)
    assert seen == [c.id for c in expected]


def test_ending_before_pages_backwards_through_everything(
    emulator_accounts: EmulatorAccounts,
) -> None:
    account = emulator_accounts.stripe(customers=25, seed=4)
    client = emulator_accounts.stripe_client(account)
    newest_first = [c.id for c in client.v1.customers.list(params={"limit": 100})]
    oldest = newest_first[-1]

    page = client.v1.customers.list(params={"limit": 5, "ending_before": oldest})
    backwards = [c.id for c in page.auto_paging_iter()]

    # Stripe semantics: the 5 objects immediately newer than the cursor, newest first.
    assert [c.id for c in page] == newest_first[-6:-1]
    assert page.has_more is True
    assert backwards == list(reversed(newest_first[:-1]))


def test_ending_before_last_page_has_no_more(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=4, seed=5)
    client = emulator_accounts.stripe_client(account)
    ids = [c.id for c in client.v1.customers.list()]

    page = client.v1.customers.list(params={"ending_before": ids[-1], "limit": 3})

    assert [c.id for c in page] == ids[:3]
    assert page.has_more is False


def test_created_filters(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=40, seed=6)
    client = emulator_accounts.stripe_client(account)
    times = sorted(c.created for c in account.customers.values())
    low, high = times[10], times[30]

    found = list(
        client.v1.customers.list(
            params={"limit": 100, "created": {"gte": low, "lt": high}}
        ).auto_paging_iter()
    )
    exclusive = client.v1.customers.list(params={"limit": 100, "created": {"gt": low}})

    assert {c.id for c in found} == {
        c.id for c in account.customers.values() if low <= c.created < high
    }
    assert all(c.created > low for c in exclusive)


@pytest.mark.parametrize(
    ("params", "param", "message"),
    [
        ({"limit": 0}, "limit", "This value must be greater than or equal to 1."),
        ({"limit": 101}, "limit", "This value must be less than or equal to 100."),
        ({"limit": "ten"}, "limit", "Invalid integer: ten"),
        ({"colour": "blue"}, "colour", "Received unknown parameter: colour"),
        ({"created": {"after": 1}}, "created[after]", "Received unknown parameter: created[after]"),
    ],
)
def test_invalid_list_params_are_stripe_400s(
    emulator_accounts: EmulatorAccounts, params: Any, param: str, message: str
) -> None:
    client = emulator_accounts.stripe_client(emulator_accounts.stripe())

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list(params=params)

    assert caught.value.http_status == 400
    assert caught.value.param == param
    assert caught.value.user_message == message


def test_both_cursors_rejected(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=2)
    client = emulator_accounts.stripe_client(account)
    some_id = next(iter(account.customers))

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list(params={"starting_after": some_id, "ending_before": some_id})

    assert caught.value.param == "ending_before"


def test_unknown_cursor_is_resource_missing(emulator_accounts: EmulatorAccounts) -> None:
    client = emulator_accounts.stripe_client(emulator_accounts.stripe(customers=2))

    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list(params={"starting_after": "cus_nope"})

    assert caught.value.http_status == 400
    assert caught.value.code == "resource_missing"
    assert caught.value.param == "starting_after"


def test_retrieve_and_missing_object(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=3, invoices=5, seed=7)
    client = emulator_accounts.stripe_client(account)
    invoice_id = next(iter(account.invoices))

    invoice = client.v1.invoices.retrieve(invoice_id, params={"expand": ["customer"]})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.retrieve("cus_missing")

    assert invoice.id == invoice_id
    assert isinstance(invoice.customer, stripe.Customer)
    assert invoice.lines["object"] == "list"
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"
    assert caught.value.user_message == "No such customer: 'cus_missing'"


def test_deleted_customer_is_retrievable_stub_and_not_listed(
    emulator_accounts: EmulatorAccounts,
) -> None:
    account = emulator_accounts.stripe(customers=6, seed=8)
    result = emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(delete=2), seed=1
    )
    client = emulator_accounts.stripe_client(account)
    gone = result.customers.deleted[0]

    stub = client.v1.customers.retrieve(gone)
    listed = {c.id for c in client.v1.customers.list(params={"limit": 100})}

    assert stub.to_dict() == {"id": gone, "object": "customer", "deleted": True}
    assert gone not in listed
    assert len(listed) == 4


def test_invoice_filters_and_expand(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=5, invoices=40, seed=9)
    client = emulator_accounts.stripe_client(account)
    owner = next(iter(account.invoices.values())).customer

    mine = list(client.v1.invoices.list(params={"customer": owner, "limit": 100}))
    paid = list(client.v1.invoices.list(params={"status": "paid", "limit": 100}))
    expanded = client.v1.invoices.list(params={"limit": 1, "expand": ["data.customer"]})

    assert {i.id for i in mine} == {i.id for i in account.invoices.values() if i.customer == owner}
    assert {i.id for i in paid} == {i.id for i in account.invoices.values() if i.status == "paid"}
    assert all(i.amount_paid == i.total for i in paid)
    assert isinstance(expanded.data[0].customer, stripe.Customer)


def test_event_type_filters(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe(customers=5, invoices=5, seed=10)
    emulator_accounts.state.churn_stripe(
        account.api_key,
        customers=ChurnSpec(create=2, update=2),
        invoices=ChurnSpec(update=3),
        seed=2,
    )
    client = emulator_accounts.stripe_client(account)

    wildcard = list(client.v1.events.list(params={"type": "customer.*", "limit": 100}))
    exact = list(
        client.v1.events.list(
            params={"types": ["customer.updated", "invoice.updated"], "limit": 100}
        )
    )

    assert wildcard
    assert all(e.type.startswith("customer.") for e in wildcard)
    assert {e.type for e in exact} == {"customer.updated", "invoice.updated"}
    assert sum(e.type == "customer.updated" for e in exact) == 2


def test_unrecognized_url(emulator_accounts: EmulatorAccounts) -> None:
    account = emulator_accounts.stripe()

    response = httpx.get(
        f"{emulator_accounts.url}/v1/charges_of_doom",
        headers={"Authorization": f"Bearer {account.api_key}", "Stripe-Version": "2024-06-20"},
    )

    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith(
        "Unrecognized request URL (GET: /v1/charges_of_doom)"
    )
    assert response.headers["stripe-version"] == "2024-06-20"
