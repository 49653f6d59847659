"""The HubSpot connector against scripted HTTP answers: limits, errors, redirects, fetch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from orion.connectors.config import ConnectorConfig
from orion.connectors.errors import (
    BadCredentials,
    ConnectorError,
    Permanent,
    RateLimited,
    Transient,
)
from orion.connectors.hubspot.connector import HubSpotConnector, build_hubspot_connector
from orion.connectors.registry import FACTORIES
from orion.records.unified import Customer, Invoice, Kind, Provider
from tests.connectors.samples import hubspot_example

TOKEN = "pat-na1-00000000-secret-token-value"
Handler = Callable[[httpx.Request], httpx.Response]
DETAILS = "GET /account-info/v3/details"


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def make(
    handler: Handler, *, follow: bool = False, time: FakeTime | None = None
) -> HubSpotConnector:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=follow)
    config = ConnectorConfig(
        credential=SecretStr(TOKEN), base_url="https://hubspot.test", http_client=client
    )
    return build_hubspot_connector(config, monotonic=time or FakeTime())


def hs_error(status: int, message: str, **headers: str) -> httpx.Response:
    body = {"status": "error", "category": "UNAUTHORIZED", "message": message,
            "correlationId": "c0ffee"}  # fmt: skip
    return httpx.Response(status, json=body, headers=headers)


async def test_validate_answers_the_portal_id_with_the_token_as_bearer() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=hubspot_example(DETAILS))

    connector = FACTORIES[Provider.HUBSPOT](
        ConnectorConfig(
            credential=SecretStr(TOKEN),
            base_url="https://hubspot.test/",
            http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        )
    )
    assert await connector.validate() == "12345678"
    assert seen[0].url == "https://hubspot.test/account-info/v3/details"
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (hs_error(401, f"The OAuth token used to make this call expired: {TOKEN}"), BadCredentials),
        (hs_error(403, "This app hasn't been granted all required scopes"), BadCredentials),
        (hs_error(429, "You have reached your ten_secondly_rolling limit."), RateLimited),
        (hs_error(502, "Bad gateway"), Transient),
        (httpx.Response(504, text="<html>timeout</html>"), Transient),
        (hs_error(400, f"There was a problem with the request for {TOKEN}"), Permanent),
        (httpx.Response(200, text="<html>maintenance</html>"), Permanent),
        (httpx.Response(200, json=[1, 2]), Permanent),
        (httpx.Response(200, json={"portalId": None}), Permanent),
    ],
)
async def test_failures_are_classified_and_never_carry_the_token(
    response: httpx.Response, expected: type[ConnectorError]
) -> None:
    with pytest.raises(expected) as caught:
        await make(lambda _: response).validate()
    assert TOKEN not in str(caught.value)


async def test_a_bad_token_tells_the_user_to_reconnect() -> None:
    with pytest.raises(BadCredentials, match="Reconnect the HubSpot account"):
        await make(lambda _: hs_error(401, "expired")).list_page(Kind.CUSTOMER, None)


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
async def test_network_failures_are_transient(failure: httpx.HTTPError) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    with pytest.raises(Transient):
        await make(handler).validate()


async def test_a_redirect_to_another_host_is_not_followed() -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        if request.url.host == "hubspot.test":
            return httpx.Response(307, headers={"location": "https://grabber.evil/details"})
        return httpx.Response(200, json=hubspot_example(DETAILS))

    with pytest.raises(Permanent, match=r"redirect.*grabber\.evil"):
        await make(handler, follow=True).validate()
    assert hosts == ["hubspot.test"]


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"retry-after": "3"}, 3.0),
        ({"x-hubspot-ratelimit-interval-milliseconds": "10000"}, 10.0),
        ({}, 10.0),
    ],
)
async def test_a_429_waits_as_long_as_hubspot_says(headers: dict[str, str], wait: float) -> None:
    with pytest.raises(RateLimited) as caught:
        await make(lambda _: hs_error(429, "limit", **headers)).validate()
    assert caught.value.retry_after == wait


async def test_a_spent_daily_quota_is_not_retried_every_ten_seconds() -> None:
    body = {"status": "error", "message": "daily limit", "policyName": "DAILY"}
    response = httpx.Response(429, json=body)
    with pytest.raises(RateLimited, match="daily limit") as caught:
        await make(lambda _: response).validate()
    assert caught.value.retry_after == 3600.0


async def test_an_exhausted_window_is_honoured_without_spending_a_request() -> None:
    calls: list[str] = []
    time = FakeTime()

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        headers = {
            "X-HubSpot-RateLimit-Remaining": "0" if len(calls) == 1 else "5",
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        }
        return httpx.Response(200, json=hubspot_example(DETAILS), headers=headers)

    connector = make(handler, time=time)
    assert await connector.validate() == "12345678"  # the answer itself is good
    time.now += 4
    with pytest.raises(RateLimited) as caught:
        await connector.validate()
    assert caught.value.retry_after == pytest.approx(6.0)
    assert len(calls) == 1
    time.now += 6
    assert await connector.validate() == "12345678"
    assert len(calls) == 2


async def test_fetch_finds_archived_records_and_answers_none_for_unknown_ones() -> None:
    archived = hubspot_example("GET /crm/v3/objects/contacts?archived=true")["results"][0]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/998") and request.url.params["archived"] == "true":
            return httpx.Response(200, json=archived)
        return hs_error(404, "Object not found")

    connector = make(handler)
    found = await connector.fetch(Kind.CUSTOMER, "998")
    assert isinstance(found, Customer) and found.deleted is True
    assert await connector.fetch(Kind.INVOICE, "404") is None


async def test_search_pages_link_invoices_to_contacts_through_associations() -> None:
    search_answer = hubspot_example("POST /crm/v3/objects/invoices/search")
    bodies: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append((request.url.path, request.content))
        if request.url.path.endswith("/search"):
            return httpx.Response(200, json=search_answer)
        return httpx.Response(
            200,
            json={
                "status": "COMPLETE",
                "results": [{"from": {"id": "7002"}, "to": [{"toObjectId": 1002}]}],
            },
        )

    cursor = '{"v":1,"kind":"invoice","mode":"search","pos":{"at":0}}'
    page = await make(handler).list_page(Kind.INVOICE, cursor)
    invoices = [r for r in page.records if isinstance(r, Invoice)]
    assert [(i.external_id, i.customer_external_id) for i in invoices] == [
        ("7001", None),
        ("7002", "1002"),
    ]
    assert bodies[-1][0] == "/crm/v4/associations/invoices/contacts/batch/read"
    assert page.has_more  # caught up: the archive sweep follows
    assert '"mode":"sweep"' in (page.next_cursor or "")


async def test_an_unreadable_search_answer_is_permanent() -> None:
    cursor = '{"v":1,"kind":"customer","mode":"search","pos":{"at":0}}'
    answer = {"total": 1, "results": [{"id": "abc", "properties": {}, "updatedAt": "x"}]}
    with pytest.raises(Permanent):
        await make(lambda _: httpx.Response(200, json=answer)).list_page(Kind.CUSTOMER, cursor)
