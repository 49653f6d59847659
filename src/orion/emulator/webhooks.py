"""Signed webhook deliveries, as Stripe and HubSpot send them.

Stripe: the body is the event JSON (pretty-printed like Stripe's), signed in
`Stripe-Signature: t=<unix>,v1=<hex hmac-sha256 of "{t}.{body}">` with the endpoint's
`whsec_...` secret; extra secrets add more `v1=` entries (as during secret rotation).
HubSpot: the body is a JSON array of up to 100 events, signed in `X-HubSpot-Signature-v3`
= base64(hmac-sha256(client secret, method + uri + body + timestamp)) with the timestamp
(ms) in `X-HubSpot-Request-Timestamp`; the legacy v1 header is sent too, as HubSpot does.
Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from orion.emulator.stripe.account import StripeAccount
from orion.emulator.stripe.models import Event
from orion.emulator.stripe.render import render_event

# HubSpot's validation guide decodes exactly these escapes in the URI before signing.
_HUBSPOT_URI_DECODES = (
    ("%3A", ":"),
    ("%2F", "/"),
    ("%3F", "?"),
    ("%40", "@"),
    ("%21", "!"),
    ("%24", "$"),
    ("%27", "'"),
    ("%28", "("),
    ("%29", ")"),
    ("%2A", "*"),
    ("%2C", ","),
    ("%3B", ";"),
)


def stripe_signature_header(
    payload: str, secret: str, timestamp: int, extra_secrets: Sequence[str] = ()
) -> str:
    signed = f"{timestamp}.{payload}".encode()
    parts = [f"t={timestamp}"]
    for key in (secret, *extra_secrets):
        digest = hmac.new(key.encode(), signed, hashlib.sha256).hexdigest()
        parts.append(f"v1={digest}")
    return ",".join(parts)


def hubspot_normalize_uri(uri: str) -> str:
    for escaped, plain in _HUBSPOT_URI_DECODES:
        uri = uri.replace(escaped, plain).replace(escaped.lower(), plain)
    return uri


def hubspot_signature_v3(
    client_secret: str, method: str, uri: str, body: str, timestamp_ms: int | str
) -> str:
    source = f"{method}{hubspot_normalize_uri(uri)}{body}{timestamp_ms}".encode()
    digest = hmac.new(client_secret.encode(), source, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def hubspot_signature_v1(client_secret: str, body: str) -> str:
    return hashlib.sha256(f"{client_secret}{body}".encode()).hexdigest()


@dataclass(slots=True)
class WebhookDelivery:
    """One POST: which events it carried and how the receiver answered."""

    url: str
    event_ids: list[str]
    status: int | None
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "event_ids": self.event_ids,
            "status": self.status,
            "error": self.error,
            "headers": self.headers,
        }


async def _deliver(
    client: httpx.AsyncClient,
    gate: asyncio.Semaphore,
    url: str,
    body: str,
    headers: dict[str, str],
    event_ids: list[str],
) -> WebhookDelivery:
    async with gate:
        try:
            response = await client.post(url, content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            return WebhookDelivery(url, event_ids, None, f"{type(exc).__name__}: {exc}", headers)
        return WebhookDelivery(url, event_ids, response.status_code, None, headers)


async def _send_all(
    jobs: list[tuple[str, dict[str, str], list[str]]],
    url: str,
    concurrency: int,
    client: httpx.AsyncClient | None,
) -> list[WebhookDelivery]:
    gate = asyncio.Semaphore(max(concurrency, 1))
    owned = client is None
    http = client or httpx.AsyncClient(timeout=30.0, follow_redirects=False)
    try:
        return list(
            await asyncio.gather(
                *(_deliver(http, gate, url, body, headers, ids) for body, headers, ids in jobs)
            )
        )
    finally:
        if owned:
            await http.aclose()


async def send_stripe_webhooks(
    url: str,
    events: Sequence[dict[str, Any]],
    secret: str,
    *,
    timestamp: int | None = None,
    extra_secrets: Sequence[str] = (),
    repeat: int = 1,
    concurrency: int = 4,
    client: httpx.AsyncClient | None = None,
) -> list[WebhookDelivery]:
    """POST each rendered Stripe event (`repeat` times: duplicates, as Stripe may send)."""
    jobs = []
    for _ in range(repeat):
        for event in events:
            body = json.dumps(event, indent=2)
            signed_at = int(time.time()) if timestamp is None else timestamp
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": stripe_signature_header(body, secret, signed_at, extra_secrets),
            }
            jobs.append((body, headers, [str(event["id"])]))
    return await _send_all(jobs, url, concurrency, client)


async def send_account_events(
    account: StripeAccount,
    url: str,
    *,
    event_ids: Sequence[str] | None = None,
    secret: str | None = None,
    **options: Any,
) -> list[WebhookDelivery]:
    """Deliver `event_ids` of the account, or every event not delivered yet (e.g. the
    ones a churn round just created), signed with the account's webhook secret."""
    chosen: list[Event] = (
        account.events_by_id(list(event_ids))
        if event_ids is not None
        else account.take_unsent_events()
    )
    rendered = [render_event(event, account.info) for event in chosen]
    return await send_stripe_webhooks(url, rendered, secret or account.webhook_secret, **options)


async def send_hubspot_webhooks(
    url: str,
    events: Sequence[dict[str, Any]],
    client_secret: str,
    *,
    timestamp_ms: int | None = None,
    batch_size: int = 100,
    repeat: int = 1,
    concurrency: int = 4,
    client: httpx.AsyncClient | None = None,
) -> list[WebhookDelivery]:
    """POST events in batches (HubSpot sends up to 100 per request)."""
    jobs = []
    size = max(1, min(batch_size, 100))
    for attempt in range(repeat):
        for start in range(0, len(events), size):
            batch = [{**e, "attemptNumber": attempt} for e in events[start : start + size]]
            body = json.dumps(batch, separators=(",", ":"))
            stamp = int(time.time() * 1000) if timestamp_ms is None else timestamp_ms
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/)",
                "X-HubSpot-Signature": hubspot_signature_v1(client_secret, body),
                "X-HubSpot-Signature-Version": "v1",
                "X-HubSpot-Signature-v3": hubspot_signature_v3(
                    client_secret, "POST", url, body, stamp
                ),
                "X-HubSpot-Request-Timestamp": str(stamp),
            }
            jobs.append((body, headers, [str(e["eventId"]) for e in batch]))
    return await _send_all(jobs, url, concurrency, client)
