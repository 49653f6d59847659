"""One HubSpot portal (account): CRM objects per type, paging, search, webhook events.

Active and archived ids are kept in sorted lists, so a list page is a bisect plus a
slice. Each type also keeps sorted indexes on created, last-modified and id (`index`),
updated on every write, so range searches on them never scan the portal. A query's total
and the leading ids it has needed so far are cached per data revision, so paging a large
result set does not recompute it on every page.
"""

from __future__ import annotations

import random
import threading
from bisect import bisect_left, insort
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from orion.emulator.clock import Clock
from orion.emulator.hubspot.errors import HubSpotAPIError, validation_error
from orion.emulator.hubspot.index import IndexedSearch, SortedIndex, indexed_properties
from orion.emulator.hubspot.models import SCHEMAS, CrmObject, ObjectSchema
from orion.emulator.hubspot.ratelimit import RateLimiter, RateLimits
from orion.emulator.hubspot.search import MAX_RESULTS, SearchQuery, ordered_ids
from orion.emulator.truth import content_hash

_CACHE_SIZE = 32
_SUBSCRIPTIONS = (
    "contact.creation",
    "contact.propertyChange",
    "contact.deletion",
    "object.creation",
    "object.propertyChange",
    "object.deletion",
)


def _indexed(obj: CrmObject, schema: ObjectSchema, prop: str) -> int:
    value = obj.typed(schema, prop)
    assert isinstance(value, int)  # created, modified and id are always set integers
    return value


@dataclass(frozen=True, slots=True)
class PortalInfo:
    portal_id: int
    time_zone: str = "US/Eastern"
    company_currency: str = "USD"
    utc_offset: str = "-05:00"
    utc_offset_ms: int = -5 * 3600 * 1000

    def to_json(self) -> dict[str, Any]:
        """`GET /account-info/v3/details`."""
        return {
            "portalId": self.portal_id,
            "accountType": "STANDARD",
            "timeZone": self.time_zone,
            "companyCurrency": self.company_currency,
            "additionalCurrencies": ["EUR", "GBP"],
            "utcOffset": self.utc_offset,
            "utcOffsetMilliseconds": self.utc_offset_ms,
            "uiDomain": "app.hubspot.com",
            "dataHostingLocation": "na1",
        }


class HubSpotPortal:
    def __init__(
        self,
        *,
        access_token: str,
        info: PortalInfo,
        clock: Clock,
        client_secret: str,
        app_id: int,
        rng: random.Random,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.access_token = access_token
        self.info = info
        self.clock = clock
        self.client_secret = client_secret
        self.app_id = app_id
        self.rng = rng
        self.lock = threading.RLock()
        self.limiter = RateLimiter(rate_limits or RateLimits(), clock)
        self.objects: dict[str, dict[int, CrmObject]] = {name: {} for name in SCHEMAS}
        self._active: dict[str, list[int]] = {name: [] for name in SCHEMAS}
        self._archived: dict[str, list[int]] = {name: [] for name in SCHEMAS}
        self._indexes = {
            name: {prop: SortedIndex() for prop in indexed_properties(schema)}
            for name, schema in SCHEMAS.items()
        }
        self._next_id = {name: rng.randrange(100, 900) * 1000 + 1 for name in SCHEMAS}
        self.revision = 0
        # query -> (revision, total, leading ids in result order)
        self._search_cache: OrderedDict[tuple[Any, ...], tuple[int, int, list[int]]] = OrderedDict()
        self.webhook_events: list[dict[str, Any]] = []
        self._webhook_cursor = 0
        self._next_event_id = rng.randrange(10**6, 10**7)
        self._subscription_ids = {kind: 2100 + n for n, kind in enumerate(_SUBSCRIPTIONS)}

    @property
    def portal_id(self) -> int:
        return self.info.portal_id

    @staticmethod
    def schema(object_type: str) -> ObjectSchema:
        schema = SCHEMAS.get(object_type)
        if schema is None:
            raise validation_error(f"Unable to infer object type from: {object_type}")
        return schema

    # --- writes -----------------------------------------------------------------------

    def new_id(self, object_type: str) -> int:
        with self.lock:
            object_id = self._next_id[object_type]
            self._next_id[object_type] += 1
            return object_id

    def load(self, object_type: str, objects: list[CrmObject]) -> None:
        """Bulk insert of new active objects (seeding)."""
        schema = self.schema(object_type)
        with self.lock:
            store = self.objects[object_type]
            for obj in objects:
                store[obj.id] = obj
            self._active[object_type].extend(obj.id for obj in objects)
            self._active[object_type].sort()
            for prop, index in self._indexes[object_type].items():
                index.extend((_indexed(obj, schema, prop), obj.id) for obj in objects)
            self.revision += 1

    def insert(self, object_type: str, obj: CrmObject) -> None:
        schema = self.schema(object_type)
        with self.lock:
            self.objects[object_type][obj.id] = obj
            insort(self._active[object_type], obj.id)
            for prop, index in self._indexes[object_type].items():
                index.add(_indexed(obj, schema, prop), obj.id)
            self.revision += 1

    def modified(self, object_type: str, obj: CrmObject, at_ms: int) -> None:
        """Record that `obj` (active, its properties already set) changed at `at_ms`."""
        with self.lock:
            index = self._indexes[object_type][self.schema(object_type).modified_property]
            index.remove(obj.updated_ms, obj.id)
            obj.updated_ms = at_ms
            index.add(at_ms, obj.id)
            obj.version += 1
            self.revision += 1

    def archive(self, object_type: str, obj: CrmObject, at_ms: int) -> None:
        schema = self.schema(object_type)
        with self.lock:
            active = self._active[object_type]
            del active[bisect_left(active, obj.id)]
            insort(self._archived[object_type], obj.id)
            for prop, index in self._indexes[object_type].items():
                index.remove(_indexed(obj, schema, prop), obj.id)
            obj.archived_ms = at_ms
            obj.version += 1
            self.revision += 1

    def active_ids(self, object_type: str) -> list[int]:
        with self.lock:
            return list(self._active[object_type])

    # --- reads ------------------------------------------------------------------------

    def list_page(
        self, object_type: str, *, limit: int, after: str | None, archived: bool
    ) -> tuple[list[CrmObject], str | None]:
        """Ascending id order; `after` is the id of the first object of the next page."""
        start_id = 0
        if after:
            try:
                start_id = int(after)
            except ValueError as exc:
                raise validation_error(f"Invalid paging cursor: after={after!r}") from exc
        with self.lock:
            ids = (self._archived if archived else self._active)[object_type]
            start = bisect_left(ids, start_id)
            page = ids[start : start + limit]
            following = start + limit
            next_after = str(ids[following]) if following < len(ids) else None
            store = self.objects[object_type]
            return [store[i] for i in page], next_after

    def get(
        self, object_type: str, raw_id: str, *, archived: bool, id_property: str | None
    ) -> CrmObject | None:
        schema = self.schema(object_type)
        with self.lock:
            store = self.objects[object_type]
            found: CrmObject | None = None
            if id_property and id_property != "hs_object_id":
                if id_property not in schema.unique_properties:
                    raise validation_error(f"{id_property} is not a unique property")
                wanted = raw_id.casefold()
                found = next(
                    (
                        obj
                        for obj in store.values()
                        if str(obj.values.get(id_property) or "").casefold() == wanted
                        and obj.archived == archived
                    ),
                    None,
                )
            elif raw_id.isdigit():
                found = store.get(int(raw_id))
            if found is None or found.archived != archived:
                return None
            return found

    def search(
        self, object_type: str, query: SearchQuery
    ) -> tuple[int, list[CrmObject], str | None]:
        """`(total, page, next after)`; archived objects are never searched."""
        schema = self.schema(object_type)
        if query.after >= MAX_RESULTS:
            raise HubSpotAPIError(
                400,
                f"Search results are capped at {MAX_RESULTS} per query; "
                f"cannot page to after={query.after}. Narrow the filter instead.",
                "VALIDATION_ERROR",
            )
        want = min(query.after + query.limit, MAX_RESULTS)
        with self.lock:
            key = (object_type, query.result_key())
            cached = self._search_cache.get(key)
            if cached is not None and cached[0] != self.revision:
                cached = None
            total, ids = (cached[1], cached[2]) if cached is not None else (0, [])
            if cached is not None and len(ids) >= min(want, total):
                self._search_cache.move_to_end(key)
            else:
                # A deeper page than cached reads twice as far, so walking a query is linear.
                total, ids = self._ordered(object_type, schema, query, max(want, 2 * len(ids)))
                self._search_cache[key] = (self.revision, total, ids)
                while len(self._search_cache) > _CACHE_SIZE:
                    self._search_cache.popitem(last=False)
            end = min(want, total)
            page = [self.objects[object_type][i] for i in ids[query.after : end]]
            next_after = str(end) if end < total else None
            return total, page, next_after

    def _ordered(
        self, object_type: str, schema: ObjectSchema, query: SearchQuery, want: int
    ) -> tuple[int, list[int]]:
        """`(total, leading ids)`: from the indexes when they can answer, else by a scan."""
        store = self.objects[object_type]
        found = IndexedSearch(self._indexes[object_type], store, schema).run(query, want)
        if found is not None:
            return found
        ids = ordered_ids((store[i] for i in self._active[object_type]), query, schema)
        return len(ids), ids[:MAX_RESULTS]

    # --- webhooks and truth -------------------------------------------------------------

    def record_webhook(
        self,
        subscription_type: str,
        object_id: int,
        occurred_at: int,
        *,
        property_name: str | None = None,
        property_value: str | None = None,
    ) -> dict[str, Any]:
        """Queue one webhook event in HubSpot's v3 payload shape."""
        with self.lock:
            self._next_event_id += 1
            event: dict[str, Any] = {
                "eventId": self._next_event_id,
                "subscriptionId": self._subscription_ids[subscription_type],
                "portalId": self.portal_id,
                "appId": self.app_id,
                "occurredAt": occurred_at,
                "subscriptionType": subscription_type,
                "attemptNumber": 0,
                "objectId": object_id,
                "changeSource": "CRM_UI",
            }
            if subscription_type.startswith("object."):
                event["objectTypeId"] = SCHEMAS["invoices"].object_type_id
            if subscription_type.endswith(".creation"):
                event["changeFlag"] = "NEW"
            if property_name is not None:
                event["propertyName"] = property_name
                event["propertyValue"] = property_value
            self.webhook_events.append(event)
            return event

    def take_unsent_webhooks(self) -> list[dict[str, Any]]:
        with self.lock:
            pending = self.webhook_events[self._webhook_cursor :]
            self._webhook_cursor = len(self.webhook_events)
            return pending

    def truth(self) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            result: dict[str, list[dict[str, Any]]] = {}
            for name, schema in SCHEMAS.items():
                everything = tuple(schema.properties)
                result[name] = [
                    {
                        "id": str(obj.id),
                        "version": obj.version,
                        "hash": content_hash(obj.render(schema, everything)),
                        "archived": obj.archived,
                        "updated_at": obj.updated_ms,
                    }
                    for obj in self.objects[name].values()
                ]
            return result

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "access_token": self.access_token,
                "portal_id": self.portal_id,
                "app_id": self.app_id,
                "client_secret": self.client_secret,
                "contacts": len(self._active["contacts"]),
                "invoices": len(self._active["invoices"]),
                "archived_contacts": len(self._archived["contacts"]),
                "archived_invoices": len(self._archived["invoices"]),
                "webhook_events": len(self.webhook_events),
                "rate_limits": self.limiter.limits.to_json(),
                "clock_offset_seconds": self.clock.offset_seconds,
            }
