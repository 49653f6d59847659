"""Stripe's v1 read API for customers, invoices, events and the account.

Parameters are parsed from the raw query string (bracket syntax, as the SDK sends them)
and validated like Stripe does; errors are `StripeAPIError`s rendered by the app's handler.
The emulator is read-only towards Stripe clients: data changes through churn (admin API).
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from orion.emulator.http import json_body
from orion.emulator.state import EmulatorState
from orion.emulator.stripe.account import StripeAccount
from orion.emulator.stripe.errors import (
    StripeAPIError,
    invalid_api_key,
    missing_api_key,
    no_such,
    unrecognized_url,
)
from orion.emulator.stripe.params import (
    ParamValue,
    parse_expand,
    parse_list_params,
    parse_params,
    parse_string_list,
)
from orion.emulator.stripe.render import (
    render_account,
    render_customer,
    render_deleted,
    render_event,
)

_INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")
_ALL_METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH")


def stripe_api_key(authorization: str | None) -> str | None:
    """The key from `Bearer <key>` or HTTP basic auth with the key as user name."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


def _query(request: Request) -> dict[str, ParamValue]:
    return parse_params(request.query_params.multi_items())


def _single(params: dict[str, ParamValue], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise StripeAPIError(400, f"Invalid string: {name}", param=name)
    return value


def _retrieve_expand(params: dict[str, ParamValue], expandable: frozenset[str]) -> set[str]:
    for key in params:
        if key != "expand":
            raise StripeAPIError(400, f"Received unknown parameter: {key}", param=key)
    return _check_expand(parse_expand(params.get("expand")), expandable)


def _check_expand(expand: tuple[str, ...], expandable: frozenset[str]) -> set[str]:
    for path in expand:
        if path not in expandable:
            raise StripeAPIError(400, f"This property cannot be expanded ({path}).", param="expand")
    return set(expand)


def _envelope(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def current_account(request: Request) -> StripeAccount:
    """The account of the request's API key (the app keeps its state in `app.state`)."""
    state: EmulatorState = request.app.state.emulator
    api_key = stripe_api_key(request.headers.get("authorization"))
    if api_key is None:
        raise missing_api_key()
    account = state.stripe_account(api_key)
    if account is None:
        raise invalid_api_key(api_key)
    return account


AccountDep = Annotated[StripeAccount, Depends(current_account)]


def build_stripe_router() -> APIRouter:
    """Routes under `/v1`; the account comes from the API key on every request."""
    router = APIRouter()

    @router.get("/v1/account")
    def get_account(account: AccountDep, request: Request) -> Response:
        _retrieve_expand(_query(request), frozenset())
        return json_body(render_account(account.info))

    @router.get("/v1/customers")
    def list_customers(account: AccountDep, request: Request) -> Response:
        params = _query(request)
        list_params = parse_list_params(params, frozenset({"email"}))
        _check_expand(list_params.expand, frozenset())
        customers, has_more = account.list_customers(list_params, _single(params, "email"))
        return json_body(
            _envelope("/v1/customers", [render_customer(c) for c in customers], has_more)
        )

    @router.get("/v1/customers/{customer_id}")
    def get_customer(customer_id: str, account: AccountDep, request: Request) -> Response:
        _retrieve_expand(_query(request), frozenset())
        customer = account.customers.get(customer_id)
        if customer is None:
            raise no_such("customer", customer_id, param="id")
        if customer.deleted:
            return json_body(render_deleted("customer", customer.id))
        return json_body(render_customer(customer))

    @router.get("/v1/invoices")
    def list_invoices(account: AccountDep, request: Request) -> Response:
        params = _query(request)
        list_params = parse_list_params(
            params, frozenset({"customer", "status", "collection_method"})
        )
        expand = _check_expand(list_params.expand, frozenset({"data.customer"}))
        status = _single(params, "status")
        if status is not None and status not in _INVOICE_STATUSES:
            raise StripeAPIError(
                400,
                f"Invalid status: must be one of {', '.join(_INVOICE_STATUSES)}",
                param="status",
            )
        method = _single(params, "collection_method")
        if method is not None and method not in ("charge_automatically", "send_invoice"):
            raise StripeAPIError(
                400,
                "Invalid collection_method: must be one of charge_automatically or send_invoice",
                param="collection_method",
            )
        invoices, has_more = account.list_invoices(
            list_params,
            customer=_single(params, "customer"),
            status=status,
            collection_method=method,
        )
        data = [account.render_invoice(i, "data.customer" in expand) for i in invoices]
        return json_body(_envelope("/v1/invoices", data, has_more))

    @router.get("/v1/invoices/{invoice_id}")
    def get_invoice(invoice_id: str, account: AccountDep, request: Request) -> Response:
        expand = _retrieve_expand(_query(request), frozenset({"customer"}))
        invoice = account.invoices.get(invoice_id)
        if invoice is None or invoice.deleted:
            raise no_such("invoice", invoice_id, param="id")
        return json_body(account.render_invoice(invoice, "customer" in expand))

    @router.get("/v1/events")
    def list_events(account: AccountDep, request: Request) -> Response:
        params = _query(request)
        list_params = parse_list_params(params, frozenset({"type", "types"}))
        _check_expand(list_params.expand, frozenset())
        if "type" in params and "types" in params:
            raise StripeAPIError(
                400, "You may only specify one of these parameters: type, types.", param="type"
            )
        single = _single(params, "type")
        types = (single,) if single is not None else parse_string_list(params.get("types"), "types")
        if len(types) > 20:
            raise StripeAPIError(400, "You may pass at most 20 types.", param="types")
        events, has_more = account.list_events(list_params, types)
        data = [render_event(e, account.info) for e in events]
        return json_body(_envelope("/v1/events", data, has_more))

    @router.get("/v1/events/{event_id}")
    def get_event(event_id: str, account: AccountDep, request: Request) -> Response:
        _retrieve_expand(_query(request), frozenset())
        event = account.live_event(event_id)
        if event is None:
            raise no_such("event", event_id, param="id")
        return json_body(render_event(event, account.info))

    @router.api_route("/v1/{rest:path}", methods=list(_ALL_METHODS))
    def unknown(rest: str, account: AccountDep, request: Request) -> None:
        raise unrecognized_url(request.method, request.url.path)

    return router
