"""The Stripe connector against scripted HTTP answers: errors, redirects, cursors, gaps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from orion.connectors.config import ConnectorConfig
from orion.connectors.errors import (
    BadCredentials,
    ConnectorError,
    Permanent,
    RateLimited,
    Transient,
)
from orion.connectors.registry import build_connector
from orion.connectors.stripe.connector import StripeConnector, build_stripe_connector
from orion.records.unified import Customer, Kind, Provider
from tests.connectors.samples import stripe_event, stripe_object

KEY = "sk_test_51TopSecretKeyValue0000"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
Handler = Callable[[httpx.Request], httpx.Response]


def listing(data: list[dict[str, Any]], has_more: bool = False) -> httpx.Response:
    return httpx.Response(200, json={"object": "list", "data": data, "has_more": has_more})


def error(status: int, message: str, **extra: Any) -> httpx.Response:
    body = {"error": {"type": "invalid_request_error", "message": message, **extra}}
    return httpx.Response(status, json=body)


def make(handler: Handler, *, follow: bool = False, now: datetime = NOW) -> StripeConnector:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=follow)
    config = ConnectorConfig(
        credential=SecretStr(KEY),
        base_url="https://stripe.test",
        http_client=client,
        clock=lambda: now,
    )
    return build_stripe_connector(config)


def customer(number: int, created: int) -> dict[str, Any]:
    obj = stripe_object("latest", "customer")
    obj.update(id=f"cus_{number:06d}", created=created, email=f"c{number}@example.com")
    return obj


async def test_validate_answers_the_account_id_using_the_key_as_bearer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=stripe_object("latest", "account"))

    connector = build_connector(
        Provider.STRIPE,
        ConnectorConfig(
            credential=SecretStr(KEY),
            base_url="https://stripe.test",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        ),
    )
    assert await connector.validate() == stripe_object("latest", "account")["id"]
    assert connector.provider is Provider.STRIPE
    assert seen[0].url == "https://stripe.test/v1/account"
    assert seen[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (error(401, f"Invalid API Key provided: {KEY}"), BadCredentials),
        (error(403, f"The key {KEY} does not have access"), BadCredentials),
        (error(429, "Too many requests"), RateLimited),
        (error(500, "Something went wrong", type="api_error"), Transient),
        (httpx.Response(503, text="<html>upstream unavailable</html>"), Transient),
        (error(400, f"Unknown parameter for {KEY}"), Permanent),
        (httpx.Response(200, text="{not json"), Permanent),
        (httpx.Response(200, json=["not", "an", "object"]), Permanent),
    ],
)
async def test_failures_are_classified_and_never_carry_the_key(
    response: httpx.Response, expected: type[ConnectorError]
) -> None:
    connector = make(lambda _: response)
    with pytest.raises(expected) as caught:
        await connector.validate()
    assert KEY not in str(caught.value)
    # The SDK's exception (which may quote the key) is not chained into ours.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


async def test_bad_credentials_tell_the_user_what_to_do() -> None:
    connector = make(lambda _: error(401, "Invalid API Key provided: sk_test_****0000"))
    with pytest.raises(BadCredentials, match="Update the connection's key"):
        await connector.list_page(Kind.CUSTOMER, None)


@pytest.mark.parametrize(("header", "wait"), [("7", 7.0), ("0.5", 0.5), (None, 2.0)])
async def test_rate_limits_carry_stripes_retry_after(header: str | None, wait: float) -> None:
    headers = {"retry-after": header} if header else {}
    response = httpx.Response(
        429, json={"error": {"type": "rate_limit_error", "message": "slow down"}}, headers=headers
    )
    with pytest.raises(RateLimited) as caught:
        await make(lambda _: response).validate()
    assert caught.value.retry_after == wait


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
async def test_network_failures_are_transient(failure: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(Transient):
        await make(handler).validate()


async def test_a_redirect_to_another_host_is_not_followed_even_by_a_following_client() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        if request.url.host == "stripe.test":
            return httpx.Response(302, headers={"location": "https://collector.evil/v1/account"})
        return httpx.Response(200, json=stripe_object("latest", "account"))

    with pytest.raises(Permanent, match=r"redirect.*collector\.evil"):
        await make(handler, follow=True).validate()
    assert calls == ["stripe.test"]


async def test_a_backfill_records_a_watermark_then_reads_events_after_it() -> None:
    requests: list[httpx.QueryParams] = []
    t = int(NOW.timestamp()) - 86_400
    newest = stripe_event("customer.updated", customer(1, 100), t, "evt_w")
    later = [
        stripe_event("customer.deleted", customer(2, 200), t + 300, "evt_c"),
        stripe_event(
            "customer.subscription.created",
            {"id": "sub_1", "object": "subscription"},
            t + 200,
            "evt_b",
        ),
        stripe_event("customer.created", customer(2, 200), t + 100, "evt_a"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request.url.params)
        params = request.url.params
        if request.url.path == "/v1/events" and params.get("limit") == "1":
            return listing([newest], has_more=True)
        if request.url.path == "/v1/customers":
            if "starting_after" not in params:
                return listing([customer(3, 300)], has_more=True)
            return listing([customer(1, 100)])
        assert params["ending_before"] == "evt_w"
        return listing(later)

    connector = make(handler)
    first = await connector.list_page(Kind.CUSTOMER, None)
    assert [r.external_id for r in first.records] == ["cus_000003"]
    assert first.has_more and first.gap is False
    # A backfilled snapshot is at least as new as the watermark event.
    assert first.records[0].source_updated_at == datetime.fromtimestamp(t, UTC)
    second = await connector.list_page(Kind.CUSTOMER, first.next_cursor)
    assert requests[-1]["starting_after"] == "cus_000003"
    assert second.has_more  # the backfill is over, the events follow at once
    third = await connector.list_page(Kind.CUSTOMER, second.next_cursor)
    assert [(r.external_id, r.deleted) for r in third.records] == [
        ("cus_000002", False),
        ("cus_000002", True),
    ]
    assert [r.source_updated_at.timestamp() for r in third.records] == [t + 100, t + 300]
    assert third.has_more is False
    assert requests[-1]["type"] == "customer.*"
    assert '"event":"evt_c"' in (third.next_cursor or "")


async def test_an_expired_cursor_starts_a_full_relist_flagged_as_a_gap() -> None:
    old = int((NOW - timedelta(days=31)).timestamp())
    cursor = f'{{"v":1,"kind":"customer","mode":"events","event":"evt_old","at":{old}}}'

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/events":
            assert "ending_before" not in request.url.params
            return listing([])
        assert "starting_after" not in request.url.params  # from the top
        return listing([customer(1, 100)])

    with capture_logs() as logs:
        page = await make(handler).list_page(Kind.CUSTOMER, cursor)
    assert page.gap is True and page.has_more is True
    assert [r.external_id for r in page.records] == ["cus_000001"]
    assert any(log["event"] == "stripe.sync.gap" and log["kind"] == "customer" for log in logs)
    assert all(KEY not in str(log) for log in logs)


async def test_a_cursor_event_stripe_no_longer_has_is_a_gap_too() -> None:
    cursor = f'{{"v":1,"kind":"customer","mode":"events","event":"evt_gone","at":{int(NOW.timestamp())}}}'  # noqa: E501

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("ending_before") == "evt_gone":
            return error(400, "No such event: 'evt_gone'", code="resource_missing",
                         param="ending_before")  # fmt: skip
        if request.url.path == "/v1/events":
            return listing([])
        return listing([customer(1, 100)])

    page = await make(handler).list_page(Kind.CUSTOMER, cursor)
    assert page.gap is True and [r.external_id for r in page.records] == ["cus_000001"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not json",
        '{"v":1,"kind":"customer","mode":"warp"}',
        '{"v":1,"kind":"invoice","mode":"seek"}',
    ],
)
async def test_a_cursor_that_is_not_ours_is_refused(cursor: str) -> None:
    with pytest.raises(Permanent, match="cursor"):
        await make(lambda _: listing([])).list_page(Kind.CUSTOMER, cursor)


async def test_fetch_returns_deleted_customers_and_none_for_unknown_invoices() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1/customers/"):
            stub = stripe_object("latest", "deleted_customer")
            return httpx.Response(200, json=stub, headers={"date": "Sun, 01 Jun 2025 10:00:00 GMT"})
        return error(404, "No such invoice: 'in_x'", code="resource_missing", param="id")

    connector = make(handler)
    gone = await connector.fetch(Kind.CUSTOMER, "cus_QXg1o8vcGmoR32")
    assert isinstance(gone, Customer) and gone.deleted is True
    assert gone.source_updated_at == datetime(2025, 6, 1, 10, tzinfo=UTC)  # Stripe's Date
    assert await connector.fetch(Kind.INVOICE, "in_x") is None


async def test_a_shared_client_stays_open_and_an_owned_one_is_closed() -> None:
    shared = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: listing([])))
    connector = build_stripe_connector(
        ConnectorConfig(credential=SecretStr(KEY), http_client=shared)
    )
    await connector.aclose()
    assert not shared.is_closed
    owned = build_stripe_connector(ConnectorConfig(credential=SecretStr(KEY)))
    await owned.aclose()
    assert owned._owned_http is not None and owned._owned_http.is_closed
