"""Change a HubSpot portal on demand: create, update (bumping `lastmodifieddate` /
`hs_lastmodifieddate`) and archive objects, queueing the matching v3 webhook events
(`contact.*` for contacts, `object.*` with objectTypeId 0-53 for invoices)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from orion.emulator.churn import ChurnSpec, ObjectChanges
from orion.emulator.fakedata import person
from orion.emulator.hubspot.models import CONTACTS, INVOICES, CrmObject, ObjectSchema, Value
from orion.emulator.hubspot.portal import HubSpotPortal
from orion.emulator.hubspot.seed import contact_values, new_invoice, payment_values
from orion.emulator.ids import seeded_rng


@dataclass(slots=True)
class HubSpotChurnResult:
    contacts: ObjectChanges = field(default_factory=ObjectChanges)
    invoices: ObjectChanges = field(default_factory=ObjectChanges)
    webhook_events: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts.to_json(),
            "invoices": self.invoices.to_json(),
            "webhook_events": self.webhook_events,
        }


class HubSpotChurner:
    def __init__(self, portal: HubSpotPortal, rng: random.Random, step_ms: int) -> None:
        self.portal = portal
        self.rng = rng
        self.step_ms = step_ms
        self.result = HubSpotChurnResult()

    def _tick(self) -> int:
        if self.step_ms:
            self.portal.clock.advance(self.step_ms / 1000)
        return self.portal.clock.now_ms()

    def _hook(self, schema: ObjectSchema, action: str, object_id: int, at: int, **kw: Any) -> None:
        prefix = "contact" if schema is CONTACTS else "object"
        event = self.portal.record_webhook(f"{prefix}.{action}", object_id, at, **kw)
        self.result.webhook_events.append(event)

    def run(self, contacts: ChurnSpec, invoices: ChurnSpec) -> HubSpotChurnResult:
        with self.portal.lock:
            self._churn(CONTACTS, contacts, self.result.contacts)
            self._churn(INVOICES, invoices, self.result.invoices)
        return self.result

    def _churn(self, schema: ObjectSchema, spec: ChurnSpec, changes: ObjectChanges) -> None:
        portal = self.portal
        existing = portal.active_ids(schema.name)
        update_count, archive_count = spec.counts(len(existing))
        chosen = self.rng.sample(existing, update_count + archive_count)
        store = portal.objects[schema.name]
        for _ in range(spec.create):
            obj = self._create(schema)
            if obj is None:
                break
            changes.created.append(str(obj.id))
            self._hook(schema, "creation", obj.id, obj.created_ms)
        for object_id in chosen[:update_count]:
            now = self._tick()
            obj = store[object_id]
            for name, value in self._changes(schema, obj, now).items():
                obj.set(schema, name, value, now)
                self._hook(
                    schema,
                    "propertyChange",
                    object_id,
                    now,
                    property_name=name,
                    property_value=obj.wire(schema, name),
                )
            portal.modified(schema.name, obj, now)
            changes.updated.append(str(object_id))
        for object_id in chosen[update_count:]:
            now = self._tick()
            portal.archive(schema.name, store[object_id], now)
            changes.deleted.append(str(object_id))
            self._hook(schema, "deletion", object_id, now)

    def _create(self, schema: ObjectSchema) -> CrmObject | None:
        portal = self.portal
        now = self._tick()
        if schema is CONTACTS:
            serial = len(portal.objects["contacts"]) + 1
            obj = CrmObject(
                id=portal.new_id("contacts"),
                created_ms=now,
                updated_ms=now,
                values=contact_values(self.rng, serial),
            )
        else:
            owners = portal.active_ids("contacts")
            if not owners:
                return None
            owner = portal.objects["contacts"][self.rng.choice(owners)]
            obj = new_invoice(portal, self.rng, owner, now, now, "draft")
        portal.insert(schema.name, obj)
        return obj

    def _changes(self, schema: ObjectSchema, obj: CrmObject, now: int) -> dict[str, Value]:
        if schema is INVOICES:
            return self._invoice_changes(obj, now)
        fresh = person(self.rng, self.rng.randrange(10**6))
        pick = self.rng.random()
        if pick < 0.4:
            candidates: dict[str, Value] = {"email": fresh.email or f"new{obj.id}@example.com"}
        elif pick < 0.7:
            candidates = {"firstname": fresh.first_name or "Sam", "lastname": fresh.last_name}
        else:
            # A move changes the whole place, so city, state and zip stay consistent.
            candidates = {
                "phone": fresh.phone or "+1 555 0100",
                "city": fresh.city,
                "state": fresh.state,
                "zip": fresh.postal_code,
            }
        changed = _differences(obj, candidates)
        return changed or {"phone": f"+1 555 {self.rng.randrange(1000, 9999)}"}

    def _invoice_changes(self, obj: CrmObject, now: int) -> dict[str, Value]:
        """draft -> open -> paid (paid in full, now); later only the amount is corrected,
        and on a paid invoice the amount paid moves with it."""
        status = str(obj.values.get("hs_invoice_status"))
        billed = str(obj.values.get("hs_amount_billed"))
        paid_at = obj.values.get("hs_payment_date")
        if status == "draft":
            return {"hs_invoice_status": "open"}
        if status == "open":
            return _differences(obj, payment_values("paid", billed, now))
        whole = self.rng.randrange(5, 5000)
        if f"{whole:.2f}" == billed:
            whole += 1  # a correction always changes the amount
        corrected = f"{whole:.2f}"
        at = paid_at if isinstance(paid_at, int) else now
        return _differences(
            obj, {"hs_amount_billed": corrected, **payment_values(status, corrected, at)}
        )


def _differences(obj: CrmObject, candidates: dict[str, Value]) -> dict[str, Value]:
    """The candidate values that are set and differ from the object's current ones."""
    return {
        name: value
        for name, value in candidates.items()
        if value is not None and value != obj.values.get(name)
    }


def churn_portal(
    portal: HubSpotPortal,
    *,
    contacts: ChurnSpec | None = None,
    invoices: ChurnSpec | None = None,
    seed: int | None = None,
    step_ms: int = 0,
) -> HubSpotChurnResult:
    """One churn round; without `seed` the portal's own seeded RNG keeps it reproducible."""
    rng = seeded_rng(seed) if seed is not None else portal.rng
    return HubSpotChurner(portal, rng, step_ms).run(
        contacts or ChurnSpec(), invoices or ChurnSpec()
    )
