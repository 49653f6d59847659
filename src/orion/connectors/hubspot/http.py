"""HubSpot requests: bearer token, no redirects, rate-limit headers honoured, errors classified."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

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
from orion.connectors.shapes import as_dict, parse_json

DEFAULT_INTERVAL = 10.0  # seconds; HubSpot's burst window when it does not say
DAILY_RETRY = 3600.0  # seconds; check back hourly once the daily quota is gone


class HubSpotHttp:
    """One portal's HTTP access; remembers when HubSpot said the rate window is used up."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        base_url: str,
        token: SecretStr,
        timeout: httpx.Timeout,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._clock = clock
        self._monotonic = monotonic
        self._not_before = 0.0

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: list[tuple[str, str]] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        wait = self._not_before - self._monotonic()
        if wait > 0:
            # HubSpot said the window is used up: do not spend a request to hear a 429.
            raise RateLimited(f"HubSpot's rate limit is used up; retry in {wait:.3g}s.", wait)
        headers = {
            "authorization": f"Bearer {self._token.get_secret_value()}",
            "accept": "application/json",
        }
        try:
            response = await self._client.request(
                method,
                self._base_url + path,
                params=tuple(params or ()),
                json=json,
                headers=headers,
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise Transient(f"Could not reach HubSpot ({type(exc).__name__}).") from None
        self._note_limits(response.headers)
        if not response.is_success:
            raise self._classify(response)
        return as_dict(parse_json(response.content, "HubSpot"), "HubSpot answer")

    def _interval(self, headers: httpx.Headers) -> float:
        value = headers.get("x-hubspot-ratelimit-interval-milliseconds", "")
        return int(value) / 1000 if value.isdigit() else DEFAULT_INTERVAL

    def _note_limits(self, headers: httpx.Headers) -> None:
        wait = 0.0
        if headers.get("x-hubspot-ratelimit-remaining", "").strip() == "0":
            wait = self._interval(headers)
        if headers.get("x-hubspot-ratelimit-secondly-remaining", "").strip() == "0":
            wait = max(wait, 1.0)
        if wait:
            self._not_before = max(self._not_before, self._monotonic() + wait)

    def _classify(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        if response.is_redirect:
            target = urlsplit(response.headers.get("location", "")).netloc or "an unknown place"
            return Permanent(
                f"HubSpot answered with a redirect (HTTP {status}) to {target}; redirects are "
                "not followed. Check the connection's base URL."
            )
        if status == 401:
            return BadCredentials(
                "HubSpot rejected the access token (invalid, expired or revoked). "
                "Reconnect the HubSpot account or update its token."
            )
        if status == 403:
            return BadCredentials(
                "HubSpot refused this token access to contacts or invoices (missing scopes "
                "crm.objects.contacts.read / crm.objects.invoices.read?). Reconnect with them."
            )
        if status == 429:
            # The daily quota resets at the portal's midnight, not after the burst window.
            daily = self._body(response).get("policyName") == "DAILY"
            default = DAILY_RETRY if daily else self._interval(response.headers)
            wait = retry_after_seconds(response.headers.get("retry-after"), default, self._clock())
            self._not_before = max(self._not_before, self._monotonic() + wait)
            limit = "daily limit" if daily else "rate limit"
            return RateLimited(
                f"HubSpot's {limit} for this app is used up; retry in {wait:.3g}s.", wait
            )
        if status >= 500:
            return Transient(f"HubSpot had a temporary failure (HTTP {status}).")
        detail = self._message(response)
        if status == 404:
            return NotFound(f"HubSpot does not know this object (HTTP 404). {detail}".strip())
        return Permanent(f"HubSpot rejected the request (HTTP {status}). {detail}".strip())

    @staticmethod
    def _body(response: httpx.Response) -> dict[str, Any]:
        try:
            return as_dict(parse_json(response.content, "HubSpot"), "HubSpot error")
        except Permanent:
            return {}

    def _message(self, response: httpx.Response) -> str:
        body = self._body(response)
        message = body.get("message")
        category = body.get("category")
        text = " ".join(str(part) for part in (category, message) if isinstance(part, str))
        return redact(text, self._token.get_secret_value())[:300]
