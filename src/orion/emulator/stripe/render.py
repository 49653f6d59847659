"""Build Stripe's JSON shapes from compact records.

The key sets follow Stripe's published fixtures (`stripe/openapi` fixtures3.json, latest
version, as kept in shared/data): tests compare them key for key, so a mapper written
against the emulator sees exactly the fields the real API returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orion.emulator.stripe.models import Address, Customer, Event, Invoice, StripeObject

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: str
    name: str
    email: str
    country: str
    default_currency: str
    created: int
    api_version: str


def _address(address: Address | None) -> JSON | None:
    if address is None:
        return None
    return {
        "city": address.city,
        "country": address.country,
        "line1": address.line1,
        "line2": address.line2,
        "postal_code": address.postal_code,
        "state": address.state,
    }


def render_account(info: AccountInfo) -> JSON:
    return {
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": None,
            "name": info.name,
            "product_description": None,
            "support_address": None,
            "support_email": info.email,
            "support_phone": None,
            "support_url": None,
            "url": None,
            "minority_owned_business_designation": None,
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": info.country,
        "created": info.created,
        "default_currency": info.default_currency,
        "details_submitted": True,
        "email": info.email,
        "external_accounts": {
            "data": [],
            "has_more": False,
            "object": "list",
            "url": f"/v1/accounts/{info.id}/external_accounts",
        },
        "future_requirements": _requirements(),
        "id": info.id,
        "metadata": {},
        "object": "account",
        "payouts_enabled": True,
        "requirements": _requirements(),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {
                "icon": None,
                "logo": None,
                "primary_color": None,
                "secondary_color": None,
            },
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {
                "decline_on": {"avs_failure": True, "cvc_failure": True},
                "statement_descriptor_prefix": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "dashboard": {"display_name": info.name, "timezone": "Etc/UTC"},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": None},
            "payments": {
                "statement_descriptor": None,
                "statement_descriptor_kana": None,
                "statement_descriptor_kanji": None,
                "statement_descriptor_prefix_kana": None,
                "statement_descriptor_prefix_kanji": None,
            },
            "payouts": {
                "debit_negative_balances": True,
                "schedule": {"delay_days": 2, "interval": "daily"},
                "statement_descriptor": None,
            },
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": info.created, "ip": None, "user_agent": None},
        "type": "standard",
    }


def _requirements() -> JSON:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": [],
        "disabled_reason": None,
        "errors": [],
        "eventually_due": [],
        "past_due": [],
        "pending_verification": [],
    }


def render_customer(customer: Customer) -> JSON:
    return {
        "address": _address(customer.address),
        "balance": customer.balance,
        "created": customer.created,
        "currency": customer.currency,
        "default_source": None,
        "delinquent": False,
        "description": customer.description,
        "discount": None,
        "email": customer.email,
        "id": customer.id,
        "invoice_prefix": customer.invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": dict(customer.metadata),
        "name": customer.name,
        "next_invoice_sequence": customer.next_invoice_sequence,
        "object": "customer",
        "phone": customer.phone,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def render_deleted(object_name: str, object_id: str) -> JSON:
    """The stub Stripe returns for a deleted object (`deleted_customer` fixture)."""
    return {"deleted": True, "id": object_id, "object": object_name}


def _line_item(invoice: Invoice) -> JSON:
    return {
        "amount": invoice.subtotal,
        "currency": invoice.currency,
        "description": invoice.line_description,
        "discount_amounts": [],
        "discountable": True,
        "discounts": [],
        "id": invoice.line_id,
        "invoice": invoice.id,
        "livemode": False,
        "metadata": {},
        "object": "line_item",
        "period": {"end": invoice.created, "start": invoice.created},
        "quantity": 1,
        "subscription": None,
        "pretax_credit_amounts": [],
        "taxes": [],
        "parent": {
            "invoice_item_details": {
                "invoice_item": "ii_" + invoice.line_id.removeprefix("il_"),
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
            "type": "invoice_item_details",
        },
        "pricing": {
            "price_details": {"price": None, "product": None},
            "type": "price_details",
            "unit_amount_decimal": str(invoice.subtotal),
        },
        "subtotal": invoice.subtotal,
        "quantity_decimal": "1",
    }


def render_invoice(invoice: Invoice, account: AccountInfo, customer: JSON | None = None) -> JSON:
    """`customer` replaces the customer id when the caller expanded it."""
    finalized = invoice.status != "draft"
    return {
        "account_country": account.country,
        "account_name": account.name,
        "account_tax_ids": None,
        "amount_due": invoice.total,
        "amount_paid": invoice.amount_paid,
        "amount_remaining": invoice.amount_remaining,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 1 if invoice.paid_at else 0,
        "attempted": invoice.paid_at is not None,
        "auto_advance": invoice.status in ("draft", "open"),
        "automatic_tax": {
            "enabled": False,
            "liability": None,
            "status": None,
            "disabled_reason": None,
            "provider": None,
        },
        "billing_reason": "manual",
        "collection_method": invoice.collection_method,
        "created": invoice.created,
        "currency": invoice.currency,
        "custom_fields": None,
        "customer": customer if customer is not None else invoice.customer,
        "customer_address": None,
        "customer_email": invoice.customer_email,
        "customer_name": invoice.customer_name,
        "customer_phone": None,
        "customer_shipping": None,
        "customer_tax_exempt": "none",
        "customer_tax_ids": [],
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": invoice.description,
        "discounts": [],
        "due_date": invoice.due_date,
        "effective_at": invoice.finalized_at,
        "ending_balance": 0 if finalized else None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": (f"https://invoice.stripe.com/i/{invoice.id}" if finalized else None),
        "id": invoice.id,
        "invoice_pdf": f"https://pay.stripe.com/invoice/{invoice.id}/pdf" if finalized else None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": {
            "data": [_line_item(invoice)],
            "has_more": False,
            "object": "list",
            "url": f"/v1/invoices/{invoice.id}/lines",
        },
        "livemode": False,
        "metadata": dict(invoice.metadata),
        "next_payment_attempt": None,
        "number": invoice.number,
        "object": "invoice",
        "on_behalf_of": None,
        "payment_settings": {
            "default_mandate": None,
            "payment_method_options": None,
            "payment_method_types": None,
        },
        "period_end": invoice.created,
        "period_start": invoice.created,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": 0,
        "statement_descriptor": None,
        "status": invoice.status,
        "status_transitions": {
            "finalized_at": invoice.finalized_at,
            "marked_uncollectible_at": invoice.marked_uncollectible_at,
            "paid_at": invoice.paid_at,
            "voided_at": invoice.voided_at,
        },
        "subscription": None,
        "subtotal": invoice.subtotal,
        "subtotal_excluding_tax": invoice.subtotal,
        "test_clock": None,
        "total": invoice.total,
        "total_discount_amounts": [],
        "total_excluding_tax": invoice.total,
        "webhooks_delivered_at": invoice.created,
        "automatically_finalizes_at": None,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "amount_overpaid": 0,
        "parent": None,
        "customer_account": None,
    }


def render_object(obj: StripeObject, account: AccountInfo) -> JSON:
    if isinstance(obj, Customer):
        return render_customer(obj)
    return render_invoice(obj, account)


def render_event(event: Event, account: AccountInfo) -> JSON:
    data: JSON = {"object": render_object(event.object, account)}
    if event.previous_attributes is not None:
        data["previous_attributes"] = dict(event.previous_attributes)
    return {
        "api_version": account.api_version,
        "created": event.created,
        "data": data,
        "id": event.id,
        "livemode": False,
        "object": "event",
        "pending_webhooks": 1,
        "request": {"id": event.request_id, "idempotency_key": None},
        "type": event.type,
    }


def diff_previous(old: JSON, new: JSON) -> JSON:
    """Stripe's `previous_attributes`: the old values of what changed, nested dicts diffed
    key by key (a key added under e.g. `metadata` shows as null)."""
    previous: JSON = {}
    for key in new.keys() | old.keys():
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            previous[key] = diff_previous(before, after)
        else:
            previous[key] = before
    return previous
