"""The emulator's own JSON API under `/_emulator` (documented in the package docstring
and README): accounts, churn, truth sets, clocks, faults and webhook sending."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from orion.emulator.churn import ChurnSpec
from orion.emulator.clock import Clock
from orion.emulator.faults import FaultRule, Provider
from orion.emulator.http import json_body
from orion.emulator.hubspot.portal import HubSpotPortal
from orion.emulator.hubspot.ratelimit import RateLimits
from orion.emulator.middleware import TRAP_PREFIX
from orion.emulator.state import DuplicateKeyError, EmulatorState
from orion.emulator.stripe.account import StripeAccount
from orion.emulator.webhooks import send_account_events, send_hubspot_webhooks

Count = Annotated[int, Field(ge=0, le=1_000_000)]


class ChurnSpecIn(BaseModel):
    create: Count = 0
    update: Count = 0
    delete: Count = 0
    update_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0
    delete_fraction: Annotated[float, Field(ge=0, le=1)] = 0.0

    def spec(self) -> ChurnSpec:
        return ChurnSpec(**self.model_dump())


class StripeAccountIn(BaseModel):
    api_key: str | None = None
    customers: Count = 0
    invoices: Count = 0
    seed: int = 0
    webhook_secret: str | None = None
    name: str | None = None
    now: int | None = None
    history_days: Annotated[int, Field(ge=1, le=3650)] = 180


class HubSpotPortalIn(BaseModel):
    access_token: str | None = None
    contacts: Count = 0
    invoices: Count = 0
    seed: int = 0
    client_secret: str | None = None
    app_id: int | None = None
    portal_id: int | None = None
    rate_limits: dict[str, int | None] | None = None
    now_ms: int | None = None
    history_days: Annotated[int, Field(ge=1, le=3650)] = 180


class StripeChurnIn(BaseModel):
    customers: ChurnSpecIn = ChurnSpecIn()
    invoices: ChurnSpecIn = ChurnSpecIn()
    seed: int | None = None
    step_seconds: Annotated[int, Field(ge=0)] = 0


class HubSpotChurnIn(BaseModel):
    contacts: ChurnSpecIn = ChurnSpecIn()
    invoices: ChurnSpecIn = ChurnSpecIn()
    seed: int | None = None
    step_ms: Annotated[int, Field(ge=0)] = 0


class ClockIn(BaseModel):
    offset_seconds: float


class AdvanceIn(BaseModel):
    seconds: float


class FaultsIn(BaseModel):
    rules: list[dict[str, Any]]


class WebhookSendIn(BaseModel):
    provider: Provider
    key: str
    url: str
    event_ids: list[str] | None = None
    count: Annotated[int, Field(ge=1)] | None = None
    repeat: Annotated[int, Field(ge=1, le=100)] = 1
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    batch_size: Annotated[int, Field(ge=1, le=100)] = 100
    secret: str | None = None
    extra_secrets: list[str] = []
    timestamp: int | None = None


def _clock_json(clock: Clock) -> dict[str, Any]:
    return {"offset_seconds": clock.offset_seconds, "now": clock.now()}


def build_admin_router(state: EmulatorState) -> APIRouter:
    router = APIRouter(prefix="/_emulator")

    def stripe_account(api_key: str) -> StripeAccount:
        account = state.stripe_account(api_key)
        if account is None:
            raise HTTPException(404, f"no Stripe account with key {api_key!r}")
        return account

    def hubspot_portal(token: str) -> HubSpotPortal:
        portal = state.hubspot_portal(token)
        if portal is None:
            raise HTTPException(404, f"no HubSpot portal with token {token!r}")
        return portal

    @router.get("/health")
    def health() -> Response:
        return json_body({"status": "ok"})

    @router.get("/state")
    def overview() -> Response:
        return json_body(
            {
                "clock": _clock_json(state.clock),
                "stripe_accounts": [a.summary() for a in state.stripe_accounts()],
                "hubspot_portals": [p.summary() for p in state.hubspot_portals()],
            }
        )

    @router.post("/stripe/accounts", status_code=201)
    def create_stripe_account(body: StripeAccountIn) -> Response:
        try:
            account = state.add_stripe_account(**body.model_dump())
        except DuplicateKeyError as exc:
            raise HTTPException(409, str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return json_body(account.summary(), status_code=201)

    @router.get("/stripe/accounts/{api_key}")
    def get_stripe_account(api_key: str) -> Response:
        return json_body(stripe_account(api_key).summary())

    @router.delete("/stripe/accounts/{api_key}", status_code=204)
    def delete_stripe_account(api_key: str) -> Response:
        stripe_account(api_key)
        state.remove_stripe_account(api_key)
        return Response(status_code=204)

    @router.post("/stripe/accounts/{api_key}/churn")
    def churn_stripe(api_key: str, body: StripeChurnIn) -> Response:
        stripe_account(api_key)
        result = state.churn_stripe(
            api_key,
            customers=body.customers.spec(),
            invoices=body.invoices.spec(),
            seed=body.seed,
            step_seconds=body.step_seconds,
        )
        return json_body(result.to_json())

    @router.get("/stripe/accounts/{api_key}/truth")
    def stripe_truth(api_key: str) -> Response:
        truth = stripe_account(api_key).truth()
        return json_body({kind: [e.to_json() for e in entries] for kind, entries in truth.items()})

    @router.post("/hubspot/portals", status_code=201)
    def create_hubspot_portal(body: HubSpotPortalIn) -> Response:
        fields = body.model_dump()
        try:
            limits = fields.pop("rate_limits")
            portal = state.add_hubspot_portal(
                **fields, rate_limits=RateLimits.from_json(limits) if limits else None
            )
        except DuplicateKeyError as exc:
            raise HTTPException(409, str(exc)) from exc
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return json_body(portal.summary(), status_code=201)

    @router.get("/hubspot/portals/{token}")
    def get_hubspot_portal(token: str) -> Response:
        return json_body(hubspot_portal(token).summary())

    @router.delete("/hubspot/portals/{token}", status_code=204)
    def delete_hubspot_portal(token: str) -> Response:
        hubspot_portal(token)
        state.remove_hubspot_portal(token)
        return Response(status_code=204)

    @router.post("/hubspot/portals/{token}/churn")
    def churn_hubspot(token: str, body: HubSpotChurnIn) -> Response:
        hubspot_portal(token)
        result = state.churn_hubspot(
            token,
            contacts=body.contacts.spec(),
            invoices=body.invoices.spec(),
            seed=body.seed,
            step_ms=body.step_ms,
        )
        return json_body(result.to_json())

    @router.get("/hubspot/portals/{token}/truth")
    def hubspot_truth(token: str) -> Response:
        return json_body(hubspot_portal(token).truth())

    @router.get("/hubspot/portals/{token}/webhook-events")
    def hubspot_webhook_events(token: str) -> Response:
        portal = hubspot_portal(token)
        with portal.lock:
            return json_body(list(portal.webhook_events))

    @router.put("/hubspot/portals/{token}/rate-limits")
    def set_rate_limits(token: str, body: dict[str, int | None]) -> Response:
        portal = hubspot_portal(token)
        try:
            portal.limiter.configure(RateLimits.from_json(body))
        except (TypeError, ValueError) as exc:
            raise HTTPException(422, str(exc)) from exc
        return json_body(portal.limiter.limits.to_json())

    def target_clock(provider: Provider, key: str) -> Clock:
        if provider == "stripe":
            return stripe_account(key).clock
        return hubspot_portal(key).clock

    @router.get("/clock")
    def get_clock() -> Response:
        return json_body(_clock_json(state.clock))

    @router.put("/clock")
    def set_clock(body: ClockIn) -> Response:
        state.set_clock_offset(body.offset_seconds)
        return json_body(_clock_json(state.clock))

    @router.post("/clock/advance")
    def advance_clock(body: AdvanceIn) -> Response:
        state.advance_clock(body.seconds)
        return json_body(_clock_json(state.clock))

    @router.put("/clock/{provider}/{key}")
    def set_target_clock(provider: Provider, key: str, body: ClockIn) -> Response:
        clock = target_clock(provider, key)
        clock.set_offset(body.offset_seconds)
        return json_body(_clock_json(clock))

    @router.post("/clock/{provider}/{key}/advance")
    def advance_target_clock(provider: Provider, key: str, body: AdvanceIn) -> Response:
        clock = target_clock(provider, key)
        clock.advance(body.seconds)
        return json_body(_clock_json(clock))

    @router.put("/faults/{provider}/{key}")
    def set_faults(provider: Provider, key: str, body: FaultsIn) -> Response:
        try:
            rules = [FaultRule.from_json(rule) for rule in body.rules]
        except (TypeError, ValueError) as exc:
            raise HTTPException(422, str(exc)) from exc
        state.faults.set_rules(provider, key, rules)
        return json_body(state.faults.stats(provider, key))

    @router.get("/faults/{provider}/{key}")
    def get_faults(provider: Provider, key: str) -> Response:
        return json_body(state.faults.stats(provider, key))

    @router.delete("/faults/{provider}/{key}", status_code=204)
    def clear_faults(provider: Provider, key: str) -> Response:
        state.faults.reset(provider, key)
        return Response(status_code=204)

    @router.get("/traps")
    def trap_hits() -> Response:
        return json_body({"hits": [hit.to_json() for hit in state.faults.trap_hits()]})

    @router.api_route(
        TRAP_PREFIX.removeprefix("/_emulator") + "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    )
    def redirect_trap(rest: str, request: Request) -> Response:
        """Where injected redirects point: a client that follows them shows up here."""
        state.faults.record_trap_hit(request.method, "/" + rest)
        return json_body({"trap": True, "followed_redirect_to": "/" + rest})

    @router.post("/webhooks/send")
    async def send_webhooks(body: WebhookSendIn) -> Response:
        options: dict[str, Any] = {"repeat": body.repeat, "concurrency": body.concurrency}
        if body.provider == "stripe":
            account = stripe_account(body.key)
            event_ids = body.event_ids
            if event_ids is None and body.count is not None:
                event_ids = account.event_log[-body.count :]
            try:
                deliveries = await send_account_events(
                    account,
                    body.url,
                    event_ids=event_ids,
                    secret=body.secret,
                    timestamp=body.timestamp,
                    extra_secrets=body.extra_secrets,
                    **options,
                )
            except KeyError as exc:
                raise HTTPException(404, str(exc)) from exc
        else:
            portal = hubspot_portal(body.key)
            events = _select_hubspot_events(portal, body)
            deliveries = await send_hubspot_webhooks(
                body.url,
                events,
                body.secret or portal.client_secret,
                timestamp_ms=body.timestamp,
                batch_size=body.batch_size,
                **options,
            )
        return json_body({"deliveries": [d.to_json() for d in deliveries]})

    return router


def _select_hubspot_events(portal: HubSpotPortal, body: WebhookSendIn) -> list[dict[str, Any]]:
    if body.event_ids is not None:
        wanted = set(body.event_ids)
        with portal.lock:
            found = [e for e in portal.webhook_events if str(e["eventId"]) in wanted]
        if len(found) != len(wanted):
            raise HTTPException(404, "unknown HubSpot webhook event ids")
        return found
    if body.count is not None:
        with portal.lock:
            return list(portal.webhook_events[-body.count :])
    return portal.take_unsent_webhooks()
