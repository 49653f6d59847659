"""Deliveries take the API's fast lane and still get everything the edge promises."""

from __future__ import annotations

import uuid

from orion.platform.fast_lane import FastRoute
from orion.platform.security import security_headers
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack
from tests.webhooks.helpers import metric, post_stripe, stripe_connection, updated_customer_event

ROUTE = "/api/v1/webhooks/stripe/{connection_id}"


async def test_a_delivery_carries_request_id_security_headers_and_metrics(
    hooks: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    account = emulator_accounts.stripe(customers=1, seed=3)
    _, connection = await stripe_connection(hooks, account)
    event = updated_customer_event(emulator_accounts, account)
    before = metric(hooks, "http_requests_total", method="POST", route=ROUTE, status="200")

    answer = await post_stripe(hooks.api, connection, event, account.webhook_secret)

    assert answer.status_code == 200, answer.text
    assert len(answer.headers["x-request-id"]) == 32
    for name, value in security_headers(hsts=hooks.settings.env.deployed).items():
        assert answer.headers[name] == value
    after = metric(hooks, "http_requests_total", method="POST", route=ROUTE, status="200")
    assert after == before + 1


async def test_refusals_use_the_error_model_and_other_methods_get_405(hooks: Stack) -> None:
    unknown = await hooks.api.post(
        f"/api/v1/webhooks/stripe/{uuid.uuid4()}",
        content=b"{}",
        headers={"Stripe-Signature": "t=1,v1=00", "X-Request-ID": "trace-me-1"},
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"] == {
        "code": "not_found",
        "message": "No such connection.",
        "request_id": "trace-me-1",
    }
    assert unknown.headers["x-request-id"] == "trace-me-1"
    too_big = await hooks.api.post(
        f"/api/v1/webhooks/stripe/{uuid.uuid4()}",
        content=b"x" * (hooks.settings.api.max_body_bytes + 1),
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    wrong_method = await hooks.api.get(f"/api/v1/webhooks/stripe/{uuid.uuid4()}")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_fast_routes_match_like_the_router() -> None:
    async def endpoint(_request: object) -> None:
        raise AssertionError("not called")

    route = FastRoute("POST", ROUTE, endpoint)  # type: ignore[arg-type]
    scope = {"method": "POST", "path": "/api/v1/webhooks/stripe/abc"}
    assert route.match(scope) == {"connection_id": "abc"}
    assert route.match({**scope, "method": "GET"}) is None
    assert route.match({**scope, "path": "/api/v1/webhooks/stripe/abc/"}) is None
    assert route.match({**scope, "path": "/api/v1/webhooks/stripe/a/b"}) is None
