"""The receiving side of the inbox: verify -> parse -> store (group commit) -> acknowledge.

One :class:`WebhookInbox` per API process holds the connection directory, the group-commit
writer and the dispatcher. It answers with a small summary, or raises an ``OrionError``:
400 missing signature or malformed body, 401 bad or stale signature, 404 unknown Stripe
connection, 503 when the events could not be committed (the provider retries; nothing is
acknowledged without a commit).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import Any

import orjson
import structlog

from orion.platform.config import Settings
from orion.platform.db import Database
from orion.platform.errors import NotFound, OrionError, ServiceUnavailable, Unauthorized
from orion.webhooks.directory import ConnectionDirectory, Route, StripeEndpoint
from orion.webhooks.dispatch import Dispatcher
from orion.webhooks.events import MalformedPayload, parse_hubspot, parse_stripe
from orion.webhooks.metrics import WebhookMetrics
from orion.webhooks.repository import InboxRow
from orion.webhooks.signatures import SignatureRejected, verify_hubspot, verify_stripe
from orion.webhooks.writer import InboxWriter, StoreFailed

_log = structlog.get_logger("orion.webhooks")
_KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "stripe-signature",
    "x-hubspot-request-timestamp",
    "x-hubspot-signature-version",
    "x-request-id",
)


class BadRequest(OrionError):
    status_code = 400
    code = "bad_request"


def kept_headers(headers: Mapping[str, str], **extra: Any) -> str:
    """The request headers worth keeping with an event (no credentials), as JSON text."""
    kept: dict[str, Any] = {name: headers[name] for name in _KEPT_HEADERS if name in headers}
    kept.update(extra)
    return orjson.dumps(kept).decode()


class WebhookInbox:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        directory: ConnectionDirectory,
        dispatcher: Dispatcher,
        metrics: WebhookMetrics,
        writer_database: Database | None = None,
    ) -> None:
        """``writer_database``, if given, is the group-commit writer's own and closed here."""
        hooks = settings.webhooks
        self._settings = settings
        self.directory = directory
        self.dispatcher = dispatcher
        self.metrics = metrics
        self._writer_database = writer_database
        self.writer = InboxWriter(
            writer_database or database,
            max_rows=hooks.batch_max_rows,
            lanes=hooks.writers,
            timeout_seconds=hooks.store_timeout_seconds,
            on_commit=dispatcher.submit,
        )
        secret = settings.hubspot.client_secret
        self._hubspot_secret = secret.get_secret_value() if secret else None

    async def close(self) -> None:
        await self.writer.close()
        await self.dispatcher.close()
        if self._writer_database is not None:
            await self._writer_database.engine.dispose()

    def _reject(self, provider: str, error: OrionError, reason: str) -> OrionError:
        self.metrics.rejected(provider, reason)
        return error

    async def receive_stripe(
        self, connection: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, Any]:
        try:
            connection_id = uuid.UUID(connection)
        except ValueError:
            error = NotFound("No such connection.")
            raise self._reject("stripe", error, "unknown_connection") from None
        header = headers.get("stripe-signature")
        if not header:
            raise self._reject(
                "stripe", BadRequest("Stripe-Signature is missing."), "missing_signature"
            )
        endpoint = await self._stripe_endpoint(connection_id, fresh=False)
        try:
            self._verify_stripe(endpoint, body, header)
        except SignatureRejected:
            # The secrets may have been rotated a moment ago: read them again once.
            endpoint = await self._stripe_endpoint(connection_id, fresh=True)
            try:
                self._verify_stripe(endpoint, body, header)
            except SignatureRejected as exc:
                _log.warning(
                    "webhook_signature_rejected",
                    provider="stripe",
                    connection_id=connection,
                    reason=exc.reason,
                    detail=exc.detail,
                )
                raise self._reject("stripe", Unauthorized(exc.detail), exc.reason) from None
        try:
            event = parse_stripe(body)
        except MalformedPayload as exc:
            raise self._reject("stripe", BadRequest(str(exc)), "malformed_payload") from None
        row = InboxRow(
            endpoint.tenant_id, connection_id, "stripe", event, body, kept_headers(headers)
        )
        new = await self._store("stripe", [row])
        return {"received": True, "duplicate": not new[0], "event_id": event.event_id}

    async def _stripe_endpoint(self, connection_id: uuid.UUID, *, fresh: bool) -> StripeEndpoint:
        try:
            endpoint = await self.directory.stripe(connection_id, fresh=fresh)
        except Exception as exc:
            _log.warning("webhook_directory_unavailable", error=type(exc).__name__)
            raise ServiceUnavailable("Webhooks cannot be stored right now; retry.") from None
        if endpoint is None:
            raise self._reject("stripe", NotFound("No such connection."), "unknown_connection")
        return endpoint

    def _verify_stripe(self, endpoint: StripeEndpoint, body: bytes, header: str) -> None:
        verify_stripe(
            body,
            header,
            endpoint.secrets,
            tolerance=self._settings.stripe.webhook_tolerance_seconds,
            now=time.time(),
        )

    async def receive_hubspot(
        self, method: str, uri: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, Any]:
        if self._hubspot_secret is None:
            _log.error("webhook_hubspot_unconfigured", missing="HUBSPOT_CLIENT_SECRET")
            raise ServiceUnavailable("HubSpot webhooks are not configured.")
        try:
            verify_hubspot(
                method,
                uri,
                body,
                headers,
                self._hubspot_secret,
                now_ms=int(time.time() * 1000),
                legacy=self._settings.hubspot.legacy_signatures,
            )
        except SignatureRejected as exc:
            _log.warning(
                "webhook_signature_rejected",
                provider="hubspot",
                reason=exc.reason,
                detail=exc.detail,
            )
            error = BadRequest(exc.detail) if exc.status == 400 else Unauthorized(exc.detail)
            raise self._reject("hubspot", error, exc.reason) from None
        try:
            events = parse_hubspot(body)
        except MalformedPayload as exc:
            raise self._reject("hubspot", BadRequest(str(exc)), "malformed_payload") from None
        routes = await self._hubspot_routes({e.portal_id for e in events})
        extra = {"batch_size": len(events)}
        rows = [
            InboxRow(
                route.tenant_id,
                route.connection_id,
                "hubspot",
                e.event,
                e.event.payload.encode(),
                kept_headers(headers, **extra),
            )
            for e in events
            for route in routes[e.portal_id]
        ]
        ignored = sum(1 for e in events if not routes[e.portal_id])
        for _ in range(ignored):
            self.metrics.rejected("hubspot", "unknown_connection")
        new = await self._store("hubspot", rows) if rows else []
        stored = sum(1 for n in new if n)
        return {
            "received": len(events),
            "stored": stored,
            "duplicates": len(rows) - stored,
            "ignored": ignored,
        }

    async def _hubspot_routes(self, portals: set[str]) -> dict[str, tuple[Route, ...]]:
        try:
            return {portal: await self.directory.hubspot(portal) for portal in portals}
        except Exception as exc:
            _log.warning("webhook_directory_unavailable", error=type(exc).__name__)
            raise ServiceUnavailable("Webhooks cannot be stored right now; retry.") from None

    async def _store(self, provider: str, rows: list[InboxRow]) -> list[bool]:
        try:
            ids = await self.writer.store(rows)
        except StoreFailed as exc:
            raise ServiceUnavailable(f"The event was not stored ({exc}); retry.") from None
        new = [row_id is not None for row_id in ids]
        for is_new in new:
            if is_new:
                self.metrics.received(provider)
            else:
                self.metrics.duplicate(provider)
        return new
