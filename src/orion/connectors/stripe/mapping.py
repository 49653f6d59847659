"""Stripe objects and events (2022-11-15 and latest API shapes) to unified records.

Pure functions on the JSON Stripe sent, so the sync (list pages, events) and the webhook inbox
map identically. ``as_of`` is the time the snapshot is known to be current: Stripe objects carry
no "updated" timestamp, so the caller supplies it (the event's ``created``, the backfill
watermark, or the answer's ``Date``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from orion.connectors.errors import Permanent
from orion.connectors.shapes import (
    as_dict,
    from_epoch,
    opt_dict,
    opt_epoch,
    opt_int,
    opt_str,
    req_int,
    req_str,
)
from orion.records.unified import Address, Customer, Invoice, InvoiceStatus, Kind, Provider

OBJECT_NAMES = {Kind.CUSTOMER: "customer", Kind.INVOICE: "invoice"}
_STATUSES = {status.value: status for status in InvoiceStatus}


def _address(value: dict[str, Any] | None, where: str) -> Address | None:
    if value is None:
        return None
    parts = {
        key: opt_str(value, key, where)
        for key in ("line1", "line2", "city", "state", "postal_code", "country")
    }
    return Address(**parts) if any(parts.values()) else None


def _is_deleted(obj: Mapping[str, Any], where: str) -> bool:
    flag = obj.get("deleted", False)
    if not isinstance(flag, bool):
        raise Permanent(f"{where}: 'deleted' should be a boolean.")
    return flag


def _customer_id(value: object, where: str) -> str | None:
    """``invoice.customer`` is an id, or the customer object when expanded."""
    if value is None or isinstance(value, str):
        return value or None
    return req_str(as_dict(value, where), "id", where)


def customer(obj: Mapping[str, Any], as_of: datetime, *, deleted: bool = False) -> Customer:
    """A customer, or the deleted stub ``{"id", "object", "deleted": true}`` with no fields."""
    where = "Stripe customer"
    external_id = req_str(obj, "id", where)
    try:
        return Customer(
            provider=Provider.STRIPE,
            external_id=external_id,
            source_updated_at=as_of,
            deleted=deleted or _is_deleted(obj, where),
            raw=dict(obj),
            email=opt_str(obj, "email", where),
            name=opt_str(obj, "name", where),
            phone=opt_str(obj, "phone", where),
            company=opt_str(obj, "business_name", where),
            address=_address(opt_dict(obj, "address", where), where),
        )
    except ValidationError as exc:
        raise Permanent(f"{where}: {exc.error_count()} field(s) have an unexpected form.") from None


def invoice(obj: Mapping[str, Any], as_of: datetime, *, deleted: bool = False) -> Invoice:
    where = "Stripe invoice"
    external_id = req_str(obj, "id", where)
    transitions = opt_dict(obj, "status_transitions", where) or {}
    provider_status = opt_str(obj, "status", where)
    status = _STATUSES.get(provider_status) if provider_status else None
    issued_at = None
    if status is not None and status is not InvoiceStatus.DRAFT:
        # ``effective_at`` is the printed date of issue (newer API versions); else finalisation.
        issued_at = opt_epoch(obj, "effective_at", where) or opt_epoch(
            transitions, "finalized_at", where
        )
    currency = opt_str(obj, "currency", where)
    try:
        return Invoice(
            provider=Provider.STRIPE,
            external_id=external_id,
            source_updated_at=as_of,
            deleted=deleted or _is_deleted(obj, where),
            raw=dict(obj),
            number=opt_str(obj, "number", where),
            customer_external_id=_customer_id(obj.get("customer"), where),
            currency=currency.lower() if currency else None,
            amount_due=opt_int(obj, "amount_due", where),
            amount_paid=opt_int(obj, "amount_paid", where),
            amount_remaining=opt_int(obj, "amount_remaining", where),
            total=opt_int(obj, "total", where),
            status=status,
            provider_status=provider_status,
            issued_at=issued_at,
            due_at=opt_epoch(obj, "due_date", where),
            paid_at=opt_epoch(transitions, "paid_at", where),
        )
    except ValidationError as exc:
        raise Permanent(f"{where}: {exc.error_count()} field(s) have an unexpected form.") from None


def snapshot(
    kind: Kind, obj: Mapping[str, Any], as_of: datetime, *, deleted: bool = False
) -> Customer | Invoice:
    """Map an object of ``kind`` (a list item, a retrieved object or an event's ``data.object``)."""
    where = f"Stripe {OBJECT_NAMES[kind]}"
    name = opt_str(obj, "object", where)
    if name is not None and name != OBJECT_NAMES[kind]:
        raise Permanent(f"{where}: got an object of type '{name[:40]}'.")
    if kind is Kind.CUSTOMER:
        return customer(obj, as_of, deleted=deleted)
    return invoice(obj, as_of, deleted=deleted)


def listed(kind: Kind, obj: Mapping[str, Any], watermark_at: int | None) -> Customer | Invoice:
    """A backfilled object: current at least since the watermark and since its own creation."""
    created = req_int(obj, "created", f"Stripe {OBJECT_NAMES[kind]}")
    as_of = created if watermark_at is None else max(created, watermark_at)
    return snapshot(kind, obj, from_epoch(as_of, "Stripe object"))


def record_from_event(event: Mapping[str, Any]) -> Customer | Invoice | None:
    """The record an event carries, or ``None`` for events about other objects.

    ``customer.*``/``invoice.*`` also match sub-resources (``customer.subscription.updated``)
    and id-less previews (``invoice.upcoming``); those are not customer or invoice snapshots.
    ``*.deleted`` events keep the record with ``deleted=True`` rather than dropping it.
    """
    where = "Stripe event"
    event_type = req_str(event, "type", where)
    created = from_epoch(req_int(event, "created", where), where)
    data = as_dict(event.get("data"), f"{where} 'data'")
    obj = as_dict(data.get("object"), f"{where} 'data.object'")
    name = opt_str(obj, "object", where)
    kinds = {value: kind for kind, value in OBJECT_NAMES.items()}
    if name not in kinds or opt_str(obj, "id", where) is None:
        return None
    return snapshot(kinds[name], obj, created, deleted=event_type.endswith(".deleted"))
