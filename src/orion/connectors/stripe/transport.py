"""The Stripe SDK's HTTP layer on a given ``httpx.AsyncClient``, and its errors classified.

``stripe.HTTPXClient`` builds its own pool; this small adapter lets a worker share one pool and
refuses redirects on every request whatever the shared client's setting (a redirect to
another host must never receive the API key).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import stripe

from orion.connectors.errors import (
    BadCredentials,
    ConnectorError,
    NotFound,
    Permanent,
    RateLimited,
    Transient,
    redact,
    retry_after_seconds,
)

DEFAULT_RETRY_AFTER = 2.0


class HttpxTransport(stripe.HTTPClient):
    name = "orion-httpx"

    def __init__(self, client: httpx.AsyncClient, timeout: httpx.Timeout) -> None:
        super().__init__()
        self._client = client
        self._timeout = timeout

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            response = await self._client.request(
                method,
                url,
                headers=headers,
                content=post_data,
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            # Raised past the SDK (its retries are off) already classified, like redirects.
            raise Transient(f"Could not reach Stripe ({type(exc).__name__}).") from None
        if response.is_redirect:
            raise _redirect(response.status_code, response.headers.get("location", ""))
        return response.content, response.status_code, response.headers

    async def close_async(self) -> None:
        """The pool belongs to whoever created it; the connector closes the ones it owns."""


def _redirect(status: int, location: str) -> Permanent:
    target = urlsplit(location).netloc or "an unknown place"
    return Permanent(
        f"Stripe answered with a redirect (HTTP {status}) to {target}; redirects are not "
        "followed. Check the connection's base URL."
    )


def classify(exc: stripe.StripeError, secret: str, now: datetime) -> ConnectorError:
    """Turn an SDK error into the connector hierarchy; messages never carry the key."""
    status = exc.http_status or 0
    headers = exc.headers or {}
    detail = redact(exc.user_message or "", secret)[:300]
    if isinstance(exc, stripe.AuthenticationError):
        return BadCredentials(
            "Stripe rejected the API key (invalid or revoked). Update the connection's key."
        )
    if isinstance(exc, stripe.PermissionError):
        return BadCredentials(
            "Stripe refused this API key access to customers, invoices or events (a restricted "
            "key without read permission?). Grant read access or use another key."
        )
    if isinstance(exc, stripe.RateLimitError) or status == 429:
        wait = retry_after_seconds(headers.get("retry-after"), DEFAULT_RETRY_AFTER, now)
        return RateLimited(f"Stripe is rate limiting this account; retry in {wait:g}s.", wait)
    if isinstance(exc, stripe.APIConnectionError):
        return Transient("Could not reach Stripe (network error or timeout).")
    if 300 <= status < 400:
        return _redirect(status, headers.get("location", ""))
    if status >= 500 or status == 409:
        return Transient(f"Stripe had a temporary failure (HTTP {status}).")
    if status == 404:
        return NotFound(f"Stripe does not know this object (HTTP 404): {detail}".rstrip(": "))
    if 200 <= status < 300:
        return Permanent("Stripe sent an answer that is not valid JSON.")
    return Permanent(f"Stripe rejected the request (HTTP {status}): {detail}".rstrip(": "))


def is_missing_cursor(exc: stripe.StripeError) -> bool:
    """Stripe's answer when a pagination cursor names an object it no longer has."""
    if not isinstance(exc, stripe.InvalidRequestError):
        return False
    return exc.code == "resource_missing" and exc.param in {"starting_after", "ending_before"}
