"""Change a Stripe account on demand, the way real traffic would, and say exactly what
changed: every create/update/delete emits the events Stripe emits for it (with
`data.previous_attributes` on updates), so sync and webhook tests can assert exact
expectations instead of "something changed".
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

from orion.emulator.churn import ChurnSpec, ObjectChanges
from orion.emulator.fakedata import person
from orion.emulator.ids import seeded_rng
from orion.emulator.stripe.account import StripeAccount
from orion.emulator.stripe.models import Customer, Event, Invoice
from orion.emulator.stripe.render import diff_previous, render_customer, render_invoice
from orion.emulator.stripe.seed import make_customer, make_invoice


@dataclass(slots=True)
class StripeChurnResult:
    customers: ObjectChanges = field(default_factory=ObjectChanges)
    invoices: ObjectChanges = field(default_factory=ObjectChanges)
    events: list[Event] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "customers": self.customers.to_json(),
            "invoices": self.invoices.to_json(),
            "events": [
                {"id": e.id, "type": e.type, "object_id": e.object.id, "created": e.created}
                for e in self.events
            ],
        }


class StripeChurner:
    """Applies one churn round to an account (holding its lock throughout)."""

    def __init__(self, account: StripeAccount, rng: random.Random, step_seconds: int) -> None:
        self.account = account
        self.rng = rng
        self.step_seconds = step_seconds
        self.result = StripeChurnResult()

    def _tick(self) -> int:
        if self.step_seconds:
            self.account.clock.advance(self.step_seconds)
        return self.account.clock.now_s()

    def _emit(self, type_: str, obj: Customer | Invoice, previous: dict[str, Any] | None) -> None:
        self.result.events.append(self.account.record_event(type_, obj, previous))

    def run(self, customers: ChurnSpec, invoices: ChurnSpec) -> StripeChurnResult:
        with self.account.lock:
            self._churn_customers(customers)
            self._churn_invoices(invoices)
        return self.result

    def _churn_customers(self, spec: ChurnSpec) -> None:
        account = self.account
        existing = account.customer_index.ids_newest_first()
        update_count, delete_count = spec.counts(len(existing))
        chosen = self.rng.sample(existing, update_count + delete_count)
        for _ in range(spec.create):
            now = self._tick()
            customer = make_customer(account, self.rng, now, len(account.customers) + 1)
            account.put_customer(customer)
            self.result.customers.created.append(customer.id)
            self._emit("customer.created", customer, None)
        for customer_id in chosen[:update_count]:
            now = self._tick()
            old = account.customers[customer_id]
            new = self._changed_customer(old, now)
            account.put_customer(new)
            self.result.customers.updated.append(customer_id)
            previous = diff_previous(render_customer(old), render_customer(new))
            self._emit("customer.updated", new, previous)
        for customer_id in chosen[update_count:]:
            now = self._tick()
            old = account.customers[customer_id]
            gone = replace(old, deleted=True, version=old.version + 1, updated=now)
            account.delete_customer(gone)
            self.result.customers.deleted.append(customer_id)
            self._emit("customer.deleted", old, None)

    def _changed_customer(self, old: Customer, now: int) -> Customer:
        fresh = person(self.rng, self.rng.randrange(10**6))
        changes: dict[str, Any] = {
            "metadata": (
                *(kv for kv in old.metadata if kv[0] != "orion_rev"),
                ("orion_rev", str(old.version + 1)),
            ),
        }
        pick = self.rng.random()
        if pick < 0.4:
            changes["email"] = fresh.email
        elif pick < 0.7:
            changes["name"] = f"{fresh.first_name} {fresh.last_name}" if fresh.first_name else None
        else:
            changes["phone"] = fresh.phone or "+1 555 0100"
        return replace(old, **changes, version=old.version + 1, updated=now)

    def _churn_invoices(self, spec: ChurnSpec) -> None:
        account = self.account
        existing = account.invoice_index.ids_newest_first()
        update_count, delete_count = spec.counts(len(existing))
        updatable = self.rng.sample(existing, update_count)
        taken = set(updatable)
        drafts = [i for i in existing if i not in taken and account.invoices[i].status == "draft"]
        deletable = self.rng.sample(drafts, min(delete_count, len(drafts)))
        customers = account.customer_index.ids_newest_first()
        for _ in range(spec.create if customers else 0):
            now = self._tick()
            owner = account.customers[self.rng.choice(customers)]
            invoice, owner = make_invoice(account, self.rng, owner, now, "draft")
            account.put_invoice(invoice)
            self.result.invoices.created.append(invoice.id)
            self._emit("invoice.created", invoice, None)
        for invoice_id in updatable:
            self._update_invoice(account.invoices[invoice_id])
        for invoice_id in deletable:
            now = self._tick()
            old = account.invoices[invoice_id]
            account.delete_invoice(replace(old, deleted=True, version=old.version + 1, updated=now))
            self.result.invoices.deleted.append(invoice_id)
            self._emit("invoice.deleted", old, None)

    def _update_invoice(self, old: Invoice) -> None:
        """draft -> open (finalized), open -> paid; anything else gets new metadata."""
        now = self._tick()
        version, updated = old.version + 1, now
        revision = (("orion_rev", str(old.version + 1)),)
        if old.status == "draft":
            customer = self.account.customers[old.customer]
            number = f"{customer.invoice_prefix}-{customer.next_invoice_sequence:04d}"
            self.account.put_customer(
                replace(customer, next_invoice_sequence=customer.next_invoice_sequence + 1)
            )
            new = replace(
                old,
                status="open",
                number=number,
                finalized_at=now,
                version=version,
                updated=updated,
            )
            types = ["invoice.finalized", "invoice.updated"]
        elif old.status == "open":
            new = replace(old, status="paid", paid_at=now, version=version, updated=updated)
            types = ["invoice.paid", "invoice.payment_succeeded", "invoice.updated"]
        else:
            new = replace(old, metadata=revision, version=version, updated=updated)
            types = ["invoice.updated"]
        self.account.put_invoice(new)
        self.result.invoices.updated.append(old.id)
        previous = diff_previous(
            render_invoice(old, self.account.info), render_invoice(new, self.account.info)
        )
        for type_ in types:
            self._emit(type_, new, previous if type_ == "invoice.updated" else None)


def churn_account(
    account: StripeAccount,
    *,
    customers: ChurnSpec | None = None,
    invoices: ChurnSpec | None = None,
    seed: int | None = None,
    step_seconds: int = 0,
) -> StripeChurnResult:
    """Apply one churn round. Without `seed` the account's own seeded RNG is used, so a
    sequence of churn rounds on a seeded account is reproducible too."""
    rng = seeded_rng(seed) if seed is not None else account.rng
    churner = StripeChurner(account, rng, step_seconds)
    return churner.run(customers or ChurnSpec(), invoices or ChurnSpec())
