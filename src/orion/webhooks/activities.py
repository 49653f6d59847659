"""Webhook activities: apply one stored event to the unified records, exactly once.

``apply`` locks the event row, re-checks that it is not processed yet (and that no newer
replay superseded it), upserts the record newest-wins and marks the event processed, all in
ONE transaction: a retry after a crash either finds nothing committed and does it all again,
or finds the event processed and stops. Provider calls happen outside the transaction.

Stripe snapshots are upserted without applying ties (``apply_ties=False``): a stored snapshot
with the same second but other content cannot be ordered against this one, so the current
object is fetched and applied instead. HubSpot events carry no object: it is always fetched.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from pydantic import SecretStr
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from orion.connections.providers import ConnectorFactory
from orion.connections.repository import get_connection
from orion.connectors.errors import BadCredentials, ConnectorError, RateLimited, Transient
from orion.platform.crypto import Vault, VaultError
from orion.platform.db import Database
from orion.records.repository import upsert_records
from orion.records.unified import Customer, Invoice, Provider
from orion.webhooks import repository
from orion.webhooks.effects import Change, change_for, current_since, tombstone
from orion.webhooks.inputs import ApplyInput, ApplyResult, DeadInput

_log = structlog.get_logger("orion.webhooks")


class ProcessingMetrics(Protocol):
    def processed(self, provider: str, lag_seconds: float) -> None: ...


class _Superseded(Exception):
    """The event is gone, already processed, or replayed again since this run started."""


def _classified(exc: ConnectorError) -> ApplicationError:
    if isinstance(exc, RateLimited):
        return ApplicationError(
            exc.message,
            type="RateLimited",
            next_retry_delay=timedelta(seconds=max(exc.retry_after, 0.1)),
        )
    if isinstance(exc, Transient):
        return ApplicationError(exc.message, type="Transient")
    kind = "BadCredentials" if isinstance(exc, BadCredentials) else "Permanent"
    return ApplicationError(exc.message, type=kind, non_retryable=True)


class WebhookActivities:
    def __init__(
        self,
        database: Database,
        vault: Vault,
        connectors: ConnectorFactory,
        metrics: ProcessingMetrics | None = None,
    ) -> None:
        self._db = database
        self._vault = vault
        self._connectors = connectors
        self._metrics = metrics

    @activity.defn(name="webhooks.apply")
    async def apply(self, data: ApplyInput) -> ApplyResult:
        tenant, event_id = uuid.UUID(data.tenant_id), uuid.UUID(data.event_id)
        attempt = activity.info().attempt
        try:
            result = await self._apply(tenant, event_id, data.generation, attempt)
        except _Superseded as exc:
            return ApplyResult("superseded", str(exc))
        except (ConnectorError, VaultError) as exc:
            error = (
                ApplicationError(str(exc), type="VaultError", non_retryable=True)
                if isinstance(exc, VaultError)
                else _classified(exc)
            )
            await self._record_attempt(tenant, event_id, data.generation, attempt, error.message)
            raise error from None
        except Exception as exc:
            message = f"{type(exc).__name__}: {str(exc)[:300]}"
            await self._record_attempt(tenant, event_id, data.generation, attempt, message)
            raise
        return result

    @activity.defn(name="webhooks.mark_dead")
    async def mark_dead(self, data: DeadInput) -> None:
        async with self._db.tenant_transaction(uuid.UUID(data.tenant_id)) as session:
            row = await repository.get_event(session, uuid.UUID(data.event_id))
            attempts = row.attempts if row is not None else 0
            await repository.finish(
                session,
                uuid.UUID(data.event_id),
                data.generation,
                status="dead",
                attempts=attempts,
                error=data.error,
            )
        _log.warning("webhook_dead", event_id=data.event_id, error=data.error[:200])

    async def _apply(
        self, tenant: uuid.UUID, event_id: uuid.UUID, generation: int, attempt: int
    ) -> ApplyResult:
        outcome: ApplyResult | None = None
        async with self._db.tenant_transaction(tenant) as session:
            event = await self._current(session, event_id, generation)
            occurred = event.occurred_at or event.received_at
            change = change_for(event.provider, event.payload, occurred)
            if change is None:
                note = f"ignored: {event.event_type} changes no customer or invoice"
                await self._finish(session, event, attempt, None, note)
                outcome = ApplyResult("ignored", note)
            elif change.snapshot is not None:
                snapshot = (change.snapshot, False)  # unordered source: ties stay undecided
                if await self._finish(session, event, attempt, snapshot):
                    outcome = ApplyResult("processed")
        if outcome is None:
            # HubSpot (no object in the event), or a Stripe snapshot with the same second as
            # the stored one but other content: the event alone cannot decide. Ask the
            # provider for the current object, outside any transaction.
            assert change is not None
            current = await self._fetch(tenant, event.connection_id, change, at=occurred)
            async with self._db.tenant_transaction(tenant) as session:
                event = await self._current(session, event_id, generation)
                await self._finish(session, event, attempt, (current, True))
            outcome = ApplyResult("processed")
        if self._metrics is not None:
            lag = (datetime.now(UTC) - event.received_at).total_seconds()
            self._metrics.processed(event.provider, lag)
        return outcome

    async def _current(
        self, session: AsyncSession, event_id: uuid.UUID, generation: int
    ) -> Row[Any]:
        """The event row, locked until the transaction ends, unless it must not be applied."""
        event = await repository.get_event(session, event_id, lock=True)
        if event is None:
            raise _Superseded("the event no longer exists")
        if event.replays != generation:
            raise _Superseded("a newer replay of this event exists")
        if event.status == "processed":
            raise _Superseded("the event is already processed")
        return event

    @staticmethod
    async def _finish(
        session: AsyncSession,
        event: Row[Any],
        attempt: int,
        upsert: tuple[Customer | Invoice, bool] | None,
        note: str | None = None,
    ) -> bool:
        """Upsert and mark processed (same transaction); ``False`` on an undecided tie."""
        if upsert is not None:
            record, apply_ties = upsert
            result = await upsert_records(
                session,
                event.tenant_id,
                event.connection_id,
                record.kind,
                [record],
                apply_ties=apply_ties,
            )
            if result.ties:
                return False
        await repository.finish(
            session, event.id, event.replays, status="processed", attempts=attempt, error=note
        )
        return True

    async def _fetch(
        self, tenant: uuid.UUID, connection_id: uuid.UUID, change: Change, at: datetime
    ) -> Customer | Invoice:
        """The provider's current object (deleted as of ``at`` if it has none)."""
        async with self._db.tenant_transaction(tenant) as session:
            connection = await get_connection(session, connection_id, with_secrets=True)
        if connection is None:
            raise _Superseded("the connection was deleted")
        credential = SecretStr(self._vault.open(connection.credentials).decode())
        connector = self._connectors.build(Provider(connection.provider), credential)
        try:
            found = await connector.fetch(change.kind, change.external_id)
        finally:
            await connector.aclose()
        if found is None:
            return tombstone(change, at)
        return current_since(found, at) if change.provider is Provider.STRIPE else found

    async def _record_attempt(
        self, tenant: uuid.UUID, event_id: uuid.UUID, generation: int, attempt: int, error: str
    ) -> None:
        """Best effort: the workflow retries whether or not this bookkeeping lands."""
        try:
            async with self._db.tenant_transaction(tenant) as session:
                await repository.record_attempt(session, event_id, generation, attempt, error)
        except Exception as exc:
            _log.warning("webhook_attempt_not_recorded", error=type(exc).__name__)
