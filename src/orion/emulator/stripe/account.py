"""One Stripe account: its objects, events, sorted indexes and read queries.

Writes go through `put_*`/`delete_*`/`record_event` (used by seeding and churn) so the
indexes and the event log can never disagree with the objects. A per-account re-entrant
lock makes the account safe to churn from a test thread while the server thread serves it.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orion.emulator.clock import Clock
from orion.emulator.ids import StripeIdFactory
from orion.emulator.stripe.errors import no_such
from orion.emulator.stripe.listing import SortedIndex
from orion.emulator.stripe.models import Customer, Event, Invoice, StripeObject
from orion.emulator.stripe.params import CreatedRange, ListParams
from orion.emulator.stripe.render import (
    AccountInfo,
    render_customer,
    render_deleted,
    render_invoice,
)
from orion.emulator.truth import content_hash

EVENT_RETENTION_SECONDS = 30 * 24 * 3600


@dataclass(frozen=True, slots=True)
class TruthEntry:
    """What a synced copy must match: id, version, a hash of the wire form, deletion."""

    id: str
    version: int
    hash: str
    deleted: bool
    created: int
    updated: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "hash": self.hash,
            "deleted": self.deleted,
            "created": self.created,
            "updated": self.updated,
        }


class StripeAccount:
    """All data of one secret key; see `seed` and `churn` for how it is filled."""

    def __init__(
        self,
        *,
        api_key: str,
        info: AccountInfo,
        ids: StripeIdFactory,
        clock: Clock,
        webhook_secret: str,
        rng: random.Random,
    ) -> None:
        self.api_key = api_key
        self.rng = rng
        self.info = info
        self.ids = ids
        self.clock = clock
        self.webhook_secret = webhook_secret
        self.lock = threading.RLock()
        self.customers: dict[str, Customer] = {}
        self.invoices: dict[str, Invoice] = {}
        self.events: dict[str, Event] = {}
        self.event_log: list[str] = []
        self.customer_index = SortedIndex()
        self.invoice_index = SortedIndex()
        self.event_index = SortedIndex()
        self._webhook_cursor = 0
        self._last_event_created = 0

    @property
    def id(self) -> str:
        return self.info.id

    # --- writes -----------------------------------------------------------------------

    def put_customer(self, customer: Customer) -> None:
        with self.lock:
            if customer.id not in self.customers and not customer.deleted:
                self.customer_index.add(customer.id, customer.created)
            self.customers[customer.id] = customer

    def delete_customer(self, customer: Customer) -> None:
        with self.lock:
            if customer.id in self.customer_index:
                self.customer_index.remove(customer.id)
            self.customers[customer.id] = customer

    def put_invoice(self, invoice: Invoice) -> None:
        with self.lock:
            if invoice.id not in self.invoices and not invoice.deleted:
                self.invoice_index.add(invoice.id, invoice.created)
            self.invoices[invoice.id] = invoice

    def delete_invoice(self, invoice: Invoice) -> None:
        with self.lock:
            if invoice.id in self.invoice_index:
                self.invoice_index.remove(invoice.id)
            self.invoices[invoice.id] = invoice

    def record_event(
        self,
        type_: str,
        obj: StripeObject,
        previous_attributes: Mapping[str, Any] | None = None,
        created: int | None = None,
    ) -> Event:
        """Append an event; `created` never goes below the previous event's."""
        with self.lock:
            when = self.clock.now_s() if created is None else created
            when = max(when, self._last_event_created)
            self._last_event_created = when
            event = Event(
                id=self.ids.long("evt"),
                created=when,
                type=type_,
                object=obj,
                previous_attributes=previous_attributes,
                sequence=len(self.event_log),
            )
            self.events[event.id] = event
            self.event_log.append(event.id)
            self.event_index.add(event.id, event.created)
            return event

    # --- reads ------------------------------------------------------------------------

    def retention_floor(self) -> int:
        """Events created before this are gone, as on Stripe (30 days)."""
        return self.clock.now_s() - EVENT_RETENTION_SECONDS

    def live_event(self, event_id: str) -> Event | None:
        with self.lock:
            event = self.events.get(event_id)
            if event is None or event.created < self.retention_floor():
                return None
            return event

    def render_invoice(self, invoice: Invoice, expand_customer: bool = False) -> dict[str, Any]:
        customer_body: dict[str, Any] | None = None
        if expand_customer:
            customer = self.customers.get(invoice.customer)
            if customer is not None:
                customer_body = (
                    render_deleted("customer", customer.id)
                    if customer.deleted
                    else render_customer(customer)
                )
        return render_invoice(invoice, self.info, customer_body)

    def list_customers(
        self, params: ListParams, email: str | None = None
    ) -> tuple[list[Customer], bool]:
        with self.lock:
            self._check_cursor(params, self.customer_index, "customer")
            predicate: Callable[[str], bool] | None = None
            if email is not None:
                wanted = email.lower()
                customers = self.customers

                def predicate(object_id: str) -> bool:
                    found = customers[object_id].email
                    return found is not None and found.lower() == wanted

            ids, has_more = self.customer_index.page(
                limit=params.limit,
                starting_after=params.starting_after,
                ending_before=params.ending_before,
                created=params.created,
                predicate=predicate,
            )
            return [self.customers[i] for i in ids], has_more

    def list_invoices(
        self,
        params: ListParams,
        customer: str | None = None,
        status: str | None = None,
        collection_method: str | None = None,
    ) -> tuple[list[Invoice], bool]:
        with self.lock:
            self._check_cursor(params, self.invoice_index, "invoice")
            invoices = self.invoices

            def predicate(object_id: str) -> bool:
                invoice = invoices[object_id]
                return (
                    (customer is None or invoice.customer == customer)
                    and (status is None or invoice.status == status)
                    and (
                        collection_method is None or invoice.collection_method == collection_method
                    )
                )

            filtered = customer is not None or status is not None or collection_method is not None
            ids, has_more = self.invoice_index.page(
                limit=params.limit,
                starting_after=params.starting_after,
                ending_before=params.ending_before,
                created=params.created,
                predicate=predicate if filtered else None,
            )
            return [self.invoices[i] for i in ids], has_more

    def list_events(
        self, params: ListParams, types: tuple[str, ...] = ()
    ) -> tuple[list[Event], bool]:
        """`types` entries may use `*` wildcards (`customer.*`), as Stripe's `type` does."""
        with self.lock:
            for name, cursor in (
                ("starting_after", params.starting_after),
                ("ending_before", params.ending_before),
            ):
                if cursor is not None and self.live_event(cursor) is None:
                    raise no_such("event", cursor, param=name, status=400)
            floor = self.retention_floor()
            gte = floor if params.created.gte is None else max(floor, params.created.gte)
            created = CreatedRange(gte=gte, lte=params.created.lte)
            predicate: Callable[[str], bool] | None = None
            if types:
                events = self.events

                def predicate(object_id: str) -> bool:
                    kind = events[object_id].type
                    return any(fnmatch.fnmatchcase(kind, pattern) for pattern in types)

            ids, has_more = self.event_index.page(
                limit=params.limit,
                starting_after=params.starting_after,
                ending_before=params.ending_before,
                created=created,
                predicate=predicate,
            )
            return [self.events[i] for i in ids], has_more

    @staticmethod
    def _check_cursor(params: ListParams, index: SortedIndex, object_name: str) -> None:
        for name, cursor in (
            ("starting_after", params.starting_after),
            ("ending_before", params.ending_before),
        ):
            if cursor is not None and cursor not in index:
                raise no_such(object_name, cursor, param=name, status=400)

    # --- webhooks and truth -------------------------------------------------------------

    def mark_events_sent(self) -> None:
        """Treat every event so far as delivered (seeded history predates any endpoint)."""
        with self.lock:
            self._webhook_cursor = len(self.event_log)

    def take_unsent_events(self) -> list[Event]:
        """Events not yet handed to the webhook sender, oldest first."""
        with self.lock:
            pending = [self.events[i] for i in self.event_log[self._webhook_cursor :]]
            self._webhook_cursor = len(self.event_log)
            return pending

    def events_by_id(self, event_ids: list[str]) -> list[Event]:
        with self.lock:
            missing = [i for i in event_ids if i not in self.events]
            if missing:
                raise KeyError(f"unknown events: {', '.join(missing)}")
            return [self.events[i] for i in event_ids]

    def truth(self) -> dict[str, list[TruthEntry]]:
        """Every customer and invoice ever created, deleted ones included."""
        with self.lock:
            return {
                "customers": [self._truth_customer(c) for c in self.customers.values()],
                "invoices": [self._truth_invoice(i) for i in self.invoices.values()],
            }

    def _truth_customer(self, customer: Customer) -> TruthEntry:
        body = (
            render_deleted("customer", customer.id)
            if customer.deleted
            else render_customer(customer)
        )
        return TruthEntry(
            customer.id,
            customer.version,
            content_hash(body),
            customer.deleted,
            customer.created,
            customer.updated,
        )

    def _truth_invoice(self, invoice: Invoice) -> TruthEntry:
        body = (
            render_deleted("invoice", invoice.id)
            if invoice.deleted
            else render_invoice(invoice, self.info)
        )
        return TruthEntry(
            invoice.id,
            invoice.version,
            content_hash(body),
            invoice.deleted,
            invoice.created,
            invoice.updated,
        )

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "api_key": self.api_key,
                "account_id": self.info.id,
                "webhook_secret": self.webhook_secret,
                "customers": len(self.customer_index),
                "invoices": len(self.invoice_index),
                "events": len(self.event_log),
                "clock_offset_seconds": self.clock.offset_seconds,
            }
