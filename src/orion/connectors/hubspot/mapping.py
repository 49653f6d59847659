"""HubSpot CRM v3 objects (contacts, invoices) to unified records.

Property values arrive as strings (numbers and dates too) or null; blank means "not set".
Money is a decimal string in major units and becomes an integer in the currency's minor
unit (half-even rounding of sub-minor digits, as accounting does).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from orion.connectors.errors import Permanent
from orion.connectors.shapes import as_dict, as_list, opt_dict, opt_str, parse_instant, req_str
from orion.records.unified import Address, Customer, Invoice, InvoiceStatus, Kind, Provider

OBJECT_TYPES = {Kind.CUSTOMER: "contacts", Kind.INVOICE: "invoices"}
MODIFIED = {Kind.CUSTOMER: "lastmodifieddate", Kind.INVOICE: "hs_lastmodifieddate"}
PROPERTIES = {
    Kind.CUSTOMER: [
        "email", "firstname", "lastname", "phone", "company",
        "address", "city", "state", "zip", "country",
        "createdate", "lastmodifieddate", "hs_object_id",
    ],
    Kind.INVOICE: [
        "hs_number", "hs_invoice_status", "hs_currency",
        "hs_amount_billed", "hs_balance_due", "hs_amount_paid",
        "hs_invoice_date", "hs_due_date", "hs_payment_date",
        "hs_createdate", "hs_lastmodifieddate", "hs_object_id",
    ],
}  # fmt: skip
_STATUSES = {
    "draft": InvoiceStatus.DRAFT,
    "open": InvoiceStatus.OPEN,
    "partially_paid": InvoiceStatus.OPEN,
    "paid": InvoiceStatus.PAID,
    "voided": InvoiceStatus.VOID,
    "void": InvoiceStatus.VOID,
    "uncollectible": InvoiceStatus.UNCOLLECTIBLE,
}
# ISO 4217 minor-unit exponents that are not 2.
_EXPONENTS = {
    **dict.fromkeys(
        ("bif", "clp", "djf", "gnf", "isk", "jpy", "kmf", "krw", "pyg", "rwf", "ugx", "uyi",
         "vnd", "vuv", "xaf", "xof", "xpf"),
        0,
    ),
    **dict.fromkeys(("bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd"), 3),
}  # fmt: skip


def _properties(obj: Mapping[str, Any], where: str) -> dict[str, Any]:
    return opt_dict(obj, "properties", where) or {}


def _instant(props: Mapping[str, Any], key: str, where: str) -> datetime | None:
    text = opt_str(props, key, where)
    return None if text is None else parse_instant(text, f"{where} '{key}'")


def modified_at(kind: Kind, obj: Mapping[str, Any]) -> datetime:
    """The last-modified time search filters on, falling back to ``updatedAt``."""
    where = f"HubSpot {OBJECT_TYPES[kind]}"
    found = _instant(_properties(obj, where), MODIFIED[kind], where)
    if found is None:
        found = _instant(obj, "updatedAt", where)
    if found is None:
        raise Permanent(f"{where}: neither '{MODIFIED[kind]}' nor 'updatedAt' is set.")
    return found


def archived_at(obj: Mapping[str, Any], where: str) -> datetime | None:
    return _instant(obj, "archivedAt", where)


def _header(kind: Kind, obj: Mapping[str, Any]) -> dict[str, Any]:
    """Fields both kinds share: id, newest-wins time, archive state, the verbatim object."""
    where = f"HubSpot {OBJECT_TYPES[kind]}"
    archived = obj.get("archived", False)
    if not isinstance(archived, bool):
        raise Permanent(f"{where}: 'archived' should be a boolean.")
    updated = modified_at(kind, obj)
    gone = archived_at(obj, where) if archived else None
    return {
        "provider": Provider.HUBSPOT,
        "external_id": req_str(obj, "id", where),
        "source_updated_at": max(updated, gone) if gone else updated,
        "deleted": archived,
        "raw": dict(obj),
    }


def contact(obj: Mapping[str, Any]) -> Customer:
    where = "HubSpot contact"
    props = _properties(obj, where)
    names = [opt_str(props, key, where) for key in ("firstname", "lastname")]
    parts = {
        "line1": opt_str(props, "address", where),
        "city": opt_str(props, "city", where),
        "state": opt_str(props, "state", where),
        "postal_code": opt_str(props, "zip", where),
        "country": opt_str(props, "country", where),
    }
    try:
        return Customer(
            **_header(Kind.CUSTOMER, obj),
            email=opt_str(props, "email", where),
            name=" ".join(name for name in names if name) or None,
            phone=opt_str(props, "phone", where),
            company=opt_str(props, "company", where),
            address=Address(**parts) if any(parts.values()) else None,
        )
    except ValidationError as exc:
        raise Permanent(f"{where}: {exc.error_count()} field(s) have an unexpected form.") from None


def _minor_units(props: Mapping[str, Any], key: str, currency: str, where: str) -> int | None:
    text = opt_str(props, key, where)
    if text is None:
        return None
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        raise Permanent(f"{where}: '{key}' is not a number.") from None
    if not amount.is_finite():
        raise Permanent(f"{where}: '{key}' is not a finite number.")
    scaled = amount.scaleb(_EXPONENTS.get(currency, 2))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def associated_contact(obj: Mapping[str, Any], where: str) -> str | None:
    """The first contact in ``associations.contacts.results`` (list and get answers)."""
    associations = opt_dict(obj, "associations", where) or {}
    contacts = opt_dict(associations, "contacts", where)
    if contacts is None:
        return None
    results = as_list(contacts.get("results", []), f"{where} associations")
    return req_str(as_dict(results[0], where), "id", where) if results else None


def invoice(obj: Mapping[str, Any], contact_id: str | None = None) -> Invoice:
    """An invoice; ``contact_id`` comes from a separate association read (search answers)."""
    where = "HubSpot invoice"
    props = _properties(obj, where)
    currency_code = opt_str(props, "hs_currency", where)
    currency = currency_code.strip().lower() if currency_code else None
    provider_status = opt_str(props, "hs_invoice_status", where)
    status = _STATUSES.get(provider_status.lower()) if provider_status else None

    def money(key: str) -> int | None:
        return None if currency is None else _minor_units(props, key, currency, where)

    billed = money("hs_amount_billed")
    try:
        return Invoice(
            **_header(Kind.INVOICE, obj),
            number=opt_str(props, "hs_number", where),
            customer_external_id=contact_id or associated_contact(obj, where),
            currency=currency,
            amount_due=billed,
            amount_paid=money("hs_amount_paid"),
            amount_remaining=money("hs_balance_due"),
            total=billed,
            status=status,
            provider_status=provider_status,
            issued_at=_instant(props, "hs_invoice_date", where),
            due_at=_instant(props, "hs_due_date", where),
            paid_at=_instant(props, "hs_payment_date", where),
        )
    except ValidationError as exc:
        raise Permanent(f"{where}: {exc.error_count()} field(s) have an unexpected form.") from None


def record(kind: Kind, obj: Mapping[str, Any], contact_id: str | None = None) -> Customer | Invoice:
    return contact(obj) if kind is Kind.CUSTOMER else invoice(obj, contact_id)
