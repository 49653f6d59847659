"""HubSpot connector: contacts as customers, invoices as invoices (CRM v3)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx

from orion.connectors.base import Page
from orion.connectors.config import ConnectorConfig
from orion.connectors.cursor import decode, encode
from orion.connectors.errors import NotFound, Permanent
from orion.connectors.hubspot import mapping, search
from orion.connectors.hubspot.cursor import ADAPTER, Archive, Listing, Position, Search, Sweep
from orion.connectors.hubspot.http import HubSpotHttp
from orion.connectors.shapes import as_dict, as_list, epoch_ms, opt_dict, req_str
from orion.records.unified import Customer, Invoice, Kind, Provider

HUBSPOT_API = "https://api.hubapi.com"
PAGE_SIZE = 100  # the list endpoints' maximum
SEARCH_PAGE_SIZE = 200  # search's maximum: fewer calls against its 5-per-second limit
SEARCH_LAG = timedelta(seconds=5)


class HubSpotConnector:
    """One HubSpot portal (account), read with a private-app or OAuth access token."""

    provider = Provider.HUBSPOT

    def __init__(
        self,
        http: HubSpotHttp,
        *,
        owned_http: httpx.AsyncClient | None = None,
        page_size: int = PAGE_SIZE,
        search_page_size: int = SEARCH_PAGE_SIZE,
        search_lag: timedelta = SEARCH_LAG,
    ) -> None:
        self._http = http
        self._owned_http = owned_http
        self._page_size = page_size
        self._search_page_size = search_page_size
        self._lag_ms = int(search_lag.total_seconds() * 1000)

    async def aclose(self) -> None:
        if self._owned_http is not None:
            await self._owned_http.aclose()

    async def validate(self) -> str:
        body = await self._http.request("GET", "/account-info/v3/details")
        portal = body.get("portalId")
        if isinstance(portal, bool) or not isinstance(portal, int | str) or not str(portal):
            raise Permanent("HubSpot account details: 'portalId' is missing.")
        return str(portal)

    async def fetch(self, kind: Kind, external_id: str) -> Customer | Invoice | None:
        path = f"/crm/v3/objects/{mapping.OBJECT_TYPES[kind]}/{quote(external_id, safe='')}"
        for archived in ("false", "true"):
            try:
                body = await self._http.request(
                    "GET", path, params=[*self._read_params(kind), ("archived", archived)]
                )
            except NotFound:
                continue
            return mapping.record(kind, body)
        return None

    async def list_page(self, kind: Kind, cursor: str | None) -> Page:
        state = None if cursor is None else decode(cursor, ADAPTER, kind, "HubSpot")
        if state is None:
            state = Listing(kind=kind, start=await self._newest(kind))
        if isinstance(state, Listing):
            return await self._listing(state)
        if isinstance(state, Search):
            return await self._search(state)
        return await self._sweep(state)

    # -- phases ---------------------------------------------------------------------------

    async def _newest(self, kind: Kind) -> Position:
        """Where search resumes after the backfill: the newest modification right now."""
        body = await self._search_request(kind, search.newest_body(mapping.MODIFIED[kind]))
        results = as_list(body.get("results", []), "HubSpot search results")
        if not results:
            return Position()
        newest = as_dict(results[0], "HubSpot object")
        return Position(at=epoch_ms(mapping.modified_at(kind, newest)))

    async def _listing(self, state: Listing) -> Page:
        objects, after = await self._list(state.kind, state.after, archived=state.archived)
        records = [mapping.record(state.kind, obj) for obj in objects]
        seen = self._newest_archive(objects, state.seen_max)
        following: Listing | Search
        if after is not None:
            following = state.model_copy(update={"after": after, "seen_max": seen})
        elif not state.archived:
            following = Listing(kind=state.kind, archived=True, start=state.start)
        else:
            # The backfill listed every archive made before it began; the search watermark is
            # HubSpot time no later than that, so the first sweep's floor can be that.
            archive = Archive(floor=state.start.at, last_max=seen)
            following = Search(kind=state.kind, pos=state.start, archive=archive)
        return Page(records=records, next_cursor=encode(following), has_more=True)

    async def _search(self, state: Search) -> Page:
        kind = state.kind
        body = await self._search_request(
            kind,
            search.request_body(
                mapping.MODIFIED[kind], state.pos, self._search_page_size, mapping.PROPERTIES[kind]
            ),
        )
        hits = [
            search.Hit(epoch_ms(mapping.modified_at(kind, obj)), self._object_id(obj), obj)
            for obj in (
                as_dict(item, "HubSpot search result")
                for item in as_list(body.get("results", []), "HubSpot search results")
            )
        ]
        step = search.advance(state.pos, hits, self._next_after(body) is not None, self._lag_ms)
        contacts = await self._invoice_contacts(kind, [hit.obj for hit in step.emit])
        records = [
            mapping.record(kind, _with_contact(hit.obj, contact), contact)
            for hit in step.emit
            for contact in (contacts.get(str(hit.object_id)),)
        ]
        following: Search | Sweep = state.model_copy(update={"pos": step.pos})
        if step.caught_up:
            following = Sweep(kind=kind, pos=step.pos, archive=state.archive)
        return Page(records=records, next_cursor=encode(following), has_more=True)

    async def _sweep(self, state: Sweep) -> Page:
        """Archived records since the floor, emitted as deleted.

        Nothing lists archives by date, so the whole archive is paged. The floor lags one
        sweep: anything archived after this sweep began is newer than everything the
        previous sweep saw, so the next sweep, whose floor is that, cannot miss it.
        """
        objects, after = await self._list(state.kind, state.after, archived=True)
        floor = state.archive.floor
        records = [
            mapping.record(state.kind, obj)
            for obj in objects
            if floor is None or (at := self._archived_ms(obj)) is None or at >= floor
        ]
        seen = self._newest_archive(objects, state.seen_max)
        if after is not None:
            following = state.model_copy(update={"after": after, "seen_max": seen})
            return Page(records=records, next_cursor=encode(following), has_more=True)
        archive = Archive(floor=state.archive.last_max, last_max=seen)
        done = Search(kind=state.kind, pos=state.pos, archive=archive)
        return Page(records=records, next_cursor=encode(done), has_more=False)

    # -- requests -------------------------------------------------------------------------

    def _read_params(self, kind: Kind) -> list[tuple[str, str]]:
        params = [("properties", name) for name in mapping.PROPERTIES[kind]]
        if kind is Kind.INVOICE:
            params.append(("associations", "contacts"))
        return params

    async def _list(
        self, kind: Kind, after: str | None, *, archived: bool
    ) -> tuple[list[dict[str, Any]], str | None]:
        params = [*self._read_params(kind), ("limit", str(self._page_size))]
        params.append(("archived", "true" if archived else "false"))
        if after is not None:
            params.append(("after", after))
        body = await self._http.request(
            "GET", f"/crm/v3/objects/{mapping.OBJECT_TYPES[kind]}", params=params
        )
        objects = [
            as_dict(item, "HubSpot object")
            for item in as_list(body.get("results", []), "HubSpot results")
        ]
        return objects, self._next_after(body)

    async def _search_request(self, kind: Kind, payload: dict[str, Any]) -> dict[str, Any]:
        path = f"/crm/v3/objects/{mapping.OBJECT_TYPES[kind]}/search"
        return await self._http.request("POST", path, json=payload)

    async def _invoice_contacts(self, kind: Kind, objects: list[dict[str, Any]]) -> dict[str, str]:
        """Search answers carry no associations: read invoice -> contact links in one batch."""
        if kind is not Kind.INVOICE or not objects:
            return {}
        inputs = [{"id": req_str(obj, "id", "HubSpot invoice")} for obj in objects]
        body = await self._http.request(
            "POST", "/crm/v4/associations/invoices/contacts/batch/read", json={"inputs": inputs}
        )
        links: dict[str, str] = {}
        for item in as_list(body.get("results", []), "HubSpot associations"):
            link = as_dict(item, "HubSpot association")
            source = opt_dict(link, "from", "HubSpot association") or {}
            targets = as_list(link.get("to", []), "HubSpot association targets")
            if targets and source.get("id") is not None:
                target = as_dict(targets[0], "HubSpot association target").get("toObjectId")
                if target is not None:
                    links[str(source["id"])] = str(target)
        return links

    # -- answer fields --------------------------------------------------------------------

    @staticmethod
    def _next_after(body: dict[str, Any]) -> str | None:
        paging = opt_dict(body, "paging", "HubSpot paging") or {}
        following = opt_dict(paging, "next", "HubSpot paging") or {}
        after = following.get("after")
        return after if isinstance(after, str) and after else None

    @staticmethod
    def _object_id(obj: dict[str, Any]) -> int:
        object_id = req_str(obj, "id", "HubSpot object")
        if not object_id.isdigit():
            raise Permanent("HubSpot object: 'id' is not a number.")
        return int(object_id)

    @staticmethod
    def _archived_ms(obj: dict[str, Any]) -> int | None:
        when = mapping.archived_at(obj, "HubSpot archived object")
        return None if when is None else epoch_ms(when)

    def _newest_archive(self, objects: list[dict[str, Any]], seen: int | None) -> int | None:
        stamps = [ms for obj in objects if (ms := self._archived_ms(obj)) is not None]
        return max([*stamps, *([] if seen is None else [seen])], default=None)


def _with_contact(obj: dict[str, Any], contact: str | None) -> dict[str, Any]:
    """A search hit shaped like the list answer, whose ``associations`` it lacks.

    The same invoice must have the same ``raw`` whichever endpoint read it, or re-reading it
    in the search overlap would look like a change.
    """
    if contact is None:
        return obj
    link = {"id": contact, "type": "invoice_to_contact"}
    return {**obj, "associations": {"contacts": {"results": [link]}}}


def build_hubspot_connector(
    config: ConnectorConfig, *, monotonic: Callable[[], float] = time.monotonic
) -> HubSpotConnector:
    """The factory the registry uses (``monotonic`` is injectable for rate-limit tests)."""
    client, owned = config.client()
    http = HubSpotHttp(
        client,
        base_url=config.base_url or HUBSPOT_API,
        token=config.credential,
        timeout=config.timeout(),
        clock=config.clock,
        monotonic=monotonic,
    )
    return HubSpotConnector(http, owned_http=client if owned else None)
