"""Stripe connector on the official SDK's async API, with the SDK's own retries turned off.

Retrying is the caller's job (Temporal retries activities) and is driven by the classified
errors, so a 429 waits for as long as Stripe asks instead of being retried blindly inside one
activity attempt.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
import stripe
import structlog
from pydantic import SecretStr
from stripe.params import CustomerListParams, EventListParams, InvoiceListParams

from orion.connectors.base import Page
from orion.connectors.config import ConnectorConfig
from orion.connectors.cursor import decode, encode
from orion.connectors.errors import NotFound, Permanent
from orion.connectors.shapes import as_dict, as_list, from_epoch, req_int, req_str
from orion.connectors.stripe import mapping
from orion.connectors.stripe.cursor import ADAPTER, Backfill, Events, Seek
from orion.connectors.stripe.transport import HttpxTransport, classify, is_missing_cursor
from orion.records.unified import Customer, Invoice, Kind, Provider

log = structlog.get_logger(__name__)

EVENT_RETENTION = timedelta(days=30)
CLOCK_MARGIN = timedelta(minutes=5)
# Re-list a little before Stripe forgets the cursor's event, not after.
RETENTION_MARGIN = timedelta(hours=1)
PAGE_SIZE = 100
STRIPE_API = "https://api.stripe.com"


class _CursorGone(Permanent):
    """Stripe no longer has the object a pagination cursor names."""


class _Answer:
    def __init__(self, body: dict[str, Any], headers: Mapping[str, str]) -> None:
        self.body = body
        self.headers = headers

    def page(self) -> tuple[list[dict[str, Any]], bool]:
        items = [
            as_dict(item, "Stripe list item")
            for item in as_list(self.body.get("data"), "Stripe list")
        ]
        has_more = self.body.get("has_more")
        if not isinstance(has_more, bool):
            raise Permanent("Stripe list: 'has_more' should be a boolean.")
        return items, has_more


class StripeConnector:
    """One Stripe account, read through ``/v1/{customers,invoices}`` and ``/v1/events``."""

    provider = Provider.STRIPE

    def __init__(
        self,
        client: stripe.StripeClient,
        *,
        api_key: SecretStr,
        clock: Callable[[], datetime],
        owned_http: httpx.AsyncClient | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._client = client
        self._secret = api_key.get_secret_value()
        self._clock = clock
        self._owned_http = owned_http
        self._page_size = page_size

    async def aclose(self) -> None:
        if self._owned_http is not None:
            await self._owned_http.aclose()

    async def validate(self) -> str:
        answer = await self._call(self._get("/v1/account"))
        return req_str(answer.body, "id", "Stripe account")

    async def fetch(self, kind: Kind, external_id: str) -> Customer | Invoice | None:
        collection = "customers" if kind is Kind.CUSTOMER else "invoices"
        request = self._get(f"/v1/{collection}/{quote(external_id, safe='')}")
        try:
            answer = await self._call(request)
        except NotFound:
            return None
        return mapping.snapshot(kind, answer.body, self._server_time(answer.headers))

    async def list_page(self, kind: Kind, cursor: str | None) -> Page:
        state = None if cursor is None else decode(cursor, ADAPTER, kind, "Stripe")
        if state is None:
            return await self._begin(kind, gap=False)
        if isinstance(state, Backfill):
            return await self._backfill(state, gap=False)
        if isinstance(state, Events) and self._expired(state.at):
            return await self._relist(kind, "the cursor's event is older than Stripe keeps events")
        try:
            if isinstance(state, Seek):
                return await self._seek(state)
            return await self._events(state)
        except _CursorGone:
            return await self._relist(kind, "Stripe no longer has the cursor's event")

    # -- phases ---------------------------------------------------------------------------

    async def _begin(self, kind: Kind, *, gap: bool) -> Page:
        """Record the watermark (newest event of the kind), then read the first list page."""
        params: EventListParams = {"type": self._event_type(kind), "limit": 1}
        newest, _ = (await self._call(self._get("/v1/events", params))).page()
        state = Backfill(kind=kind, relist=gap)
        if newest:
            created = req_int(newest[0], "created", "Stripe event")
            # An event about to expire cannot anchor the stream; its time bounds it instead.
            fresh = not self._expired(created)
            event = req_str(newest[0], "id", "Stripe event") if fresh else None
            state = Backfill(kind=kind, watermark_event=event, watermark_at=created, relist=gap)
        elif gap:
            # Every event expired: anchor the re-list at its start (less a margin for clock
            # skew with Stripe), so the listing is known to be at least that new.
            anchor = int(self._clock().timestamp() - CLOCK_MARGIN.total_seconds())
            state = Backfill(kind=kind, watermark_at=anchor, relist=True)
        return await self._backfill(state, gap=gap)

    async def _backfill(self, state: Backfill, *, gap: bool) -> Page:
        try:
            items, has_more = (await self._call(self._list(state.kind, state.after))).page()
        except _CursorGone:
            # The object we paged after was deleted; start the list again, same watermark.
            log.warning("stripe.backfill.restarted", kind=state.kind, reason="cursor object gone")
            state = state.model_copy(update={"after": None})
            items, has_more = (await self._call(self._list(state.kind, None))).page()
        records = [mapping.listed(state.kind, item, state.watermark_at) for item in items]
        if has_more and items:
            after = req_str(items[-1], "id", "Stripe list item")
            following = encode(state.model_copy(update={"after": after}))
            return Page(records=records, next_cursor=following, has_more=True, gap=gap)
        incremental: Events | Seek = Seek(kind=state.kind, since=state.watermark_at)
        if state.watermark_event is not None and state.watermark_at is not None:
            incremental = Events(
                kind=state.kind, event=state.watermark_event, at=state.watermark_at
            )
        listed_before = None
        if state.relist and state.watermark_at is not None:
            listed_before = datetime.fromtimestamp(state.watermark_at, UTC)
        return Page(
            records=records,
            next_cursor=encode(incremental),
            has_more=True,
            gap=gap,
            listed_before=listed_before,
        )

    async def _seek(self, state: Seek) -> Page:
        """No usable event at the watermark: find the oldest event after it that exists now."""
        params: EventListParams = {"type": self._event_type(state.kind), "limit": self._page_size}
        if state.since is not None:
            params["created"] = {"gt": state.since}
        if state.older_than is not None:
            params["starting_after"] = state.older_than
        items, has_more = (await self._call(self._get("/v1/events", params))).page()
        if not items:
            if state.older_than is not None:
                raise _CursorGone("Stripe events expired while seeking the oldest one.")
            return Page(records=[], next_cursor=encode(state), has_more=False)
        if has_more:
            older = state.model_copy(
                update={"older_than": req_str(items[-1], "id", "Stripe event")}
            )
            return Page(records=[], next_cursor=encode(older), has_more=True)
        return self._event_page(state.kind, items, more=state.older_than is not None)

    async def _events(self, state: Events) -> Page:
        params: EventListParams = {
            "type": self._event_type(state.kind),
            "limit": self._page_size,
            "ending_before": state.event,
        }
        items, has_more = (await self._call(self._get("/v1/events", params))).page()
        if not items:
            return Page(records=[], next_cursor=encode(state), has_more=False)
        return self._event_page(state.kind, items, more=has_more)

    async def _relist(self, kind: Kind, reason: str) -> Page:
        log.warning("stripe.sync.gap", kind=kind.value, reason=reason, action="full re-list")
        return await self._begin(kind, gap=True)

    # -- helpers --------------------------------------------------------------------------

    def _event_page(self, kind: Kind, newest_first: list[dict[str, Any]], *, more: bool) -> Page:
        """Events oldest first (Stripe lists newest first); the cursor moves to the newest."""
        records = [
            record
            for event in reversed(newest_first)
            if (record := mapping.record_from_event(event)) is not None and record.kind is kind
        ]
        newest = Events(
            kind=kind,
            event=req_str(newest_first[0], "id", "Stripe event"),
            at=req_int(newest_first[0], "created", "Stripe event"),
        )
        return Page(records=records, next_cursor=encode(newest), has_more=more)

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Awaitable[Any]:
        """A GET through the SDK (auth, API version, error types) without its object tree.

        ``raw_request`` parses the JSON once; the typed ``list_async`` calls would build a
        ``StripeObject`` per item, which costs more than everything else in a sync page.
        """
        return self._client.raw_request_async("get", path, **dict(params or {}))

    def _list(self, kind: Kind, after: str | None) -> Awaitable[Any]:
        if kind is Kind.CUSTOMER:
            customers: CustomerListParams = {"limit": self._page_size}
            if after is not None:
                customers["starting_after"] = after
            return self._get("/v1/customers", customers)
        invoices: InvoiceListParams = {"limit": self._page_size}
        if after is not None:
            invoices["starting_after"] = after
        return self._get("/v1/invoices", invoices)

    @staticmethod
    def _event_type(kind: Kind) -> str:
        return f"{mapping.OBJECT_NAMES[kind]}.*"

    def _expired(self, created: int) -> bool:
        age = self._clock() - from_epoch(created, "Stripe cursor")
        return age > EVENT_RETENTION - RETENTION_MARGIN

    def _server_time(self, headers: Mapping[str, str]) -> datetime:
        """When Stripe answered (its ``Date``), the moment a retrieved object was current."""
        try:
            when = parsedate_to_datetime(headers.get("date", ""))
        except (TypeError, ValueError):
            return self._clock()
        return when if when.tzinfo is not None else self._clock()

    async def _call(self, request: Awaitable[Any]) -> _Answer:
        try:
            response = await request
        except stripe.StripeError as exc:
            if is_missing_cursor(exc):
                raise _CursorGone("Stripe no longer has the pagination cursor's object.") from None
            raise classify(exc, self._secret, self._clock()) from None
        except ValueError:  # the SDK's own JSON parse of a non-JSON body
            raise Permanent("Stripe's answer is not JSON.") from None
        if not isinstance(response, stripe.StripeResponse):
            raise Permanent("Stripe's answer is not an object.")
        return _Answer(as_dict(response.data, "Stripe answer"), response.headers)


def build_stripe_connector(config: ConnectorConfig) -> StripeConnector:
    """The factory the registry uses: an SDK client on our transport, SDK retries off."""
    http, owned = config.client()
    client = stripe.StripeClient(
        config.credential.get_secret_value(),
        base_addresses={"api": (config.base_url or STRIPE_API).rstrip("/")},
        http_client=HttpxTransport(http, config.timeout()),
        max_network_retries=0,
    )
    return StripeConnector(
        client,
        api_key=config.credential,
        clock=config.clock,
        owned_http=http if owned else None,
    )
