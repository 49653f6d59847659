"""What a stored event changes in the unified records. Pure functions, no I/O.

Stripe events carry the object: the snapshot is mapped from the event itself (newest wins on
the event's ``created``). HubSpot events carry only an id and a change type, so the current
object is fetched; if HubSpot no longer has it at all (hard or privacy deletion) it is marked
deleted as of the event's time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orion.connectors.stripe.mapping import record_from_event
from orion.records.unified import Customer, Invoice, Kind, Provider

#: HubSpot's object type id of invoices (``object.*`` subscriptions carry it).
HUBSPOT_INVOICE_TYPE = "0-53"


@dataclass(frozen=True)
class Change:
    """One record to update: either ``snapshot`` (from the event) or ``fetch`` the object."""

    provider: Provider
    kind: Kind
    external_id: str
    occurred_at: datetime
    snapshot: Customer | Invoice | None = None

    @property
    def fetch(self) -> bool:
        return self.snapshot is None


def _hubspot_kind(event: Mapping[str, Any]) -> Kind | None:
    kind = str(event.get("subscriptionType") or event.get("eventType") or "")
    family = kind.split(".", 1)[0]
    if family == "contact":
        return Kind.CUSTOMER
    if family == "invoice":
        return Kind.INVOICE
    if family == "object" and str(event.get("objectTypeId")) == HUBSPOT_INVOICE_TYPE:
        return Kind.INVOICE
    return None


def change_for(provider: str, payload: Mapping[str, Any], occurred_at: datetime) -> Change | None:
    """The change an event asks for; ``None`` when it is about nothing Orion keeps."""
    if provider == Provider.STRIPE:
        record = record_from_event(payload)
        if record is None:
            return None
        return Change(Provider.STRIPE, record.kind, record.external_id, occurred_at, record)
    kind = _hubspot_kind(payload)
    object_id = payload.get("objectId")
    if kind is None or object_id is None:
        return None
    return Change(Provider.HUBSPOT, kind, str(object_id), occurred_at)


def tombstone(change: Change, at: datetime) -> Customer | Invoice:
    """The provider no longer has the object: keep the row, deleted as of ``at``."""
    model = Customer if change.kind is Kind.CUSTOMER else Invoice
    return model(
        provider=change.provider,
        external_id=change.external_id,
        source_updated_at=at,
        deleted=True,
        raw={"id": change.external_id, "deleted": True},
    )


def current_since(record: Customer | Invoice, at: datetime) -> Customer | Invoice:
    """A Stripe object fetched because of an event at ``at`` is current at least since then.

    Its own time is the answer's ``Date`` (one-second resolution, and a server's clock or
    cached header may lag the event's ``created``); the fetch happened after the event, so
    the snapshot must never lose newest-wins against that event's own, older content.
    """
    if record.source_updated_at >= at:
        return record
    return record.model_copy(update={"source_updated_at": at})
