"""Incremental reads through CRM search that never page into HubSpot's 10,000-result cap.

Search sorts by one property only, and paging past 10,000 results of one query fails. So no
request ever pages: each starts at offset 0 from a keyset position (modified-at, id):

- normal: ``modified >= at`` (or ``modified == at and id > after_id``, OR ``modified > at``)
  sorted by modified-at. Timestamp groups that end inside the page are emitted; the page's
  last group may continue on the next page and HubSpot does not order ties, so it is held
  back and re-read by the next request, which starts at its timestamp.
- drain: when one timestamp fills a whole page (a bulk import), that timestamp alone is read
  sorted by ``hs_object_id`` with ``id > after_id`` until it is exhausted.

Every record is emitted exactly once per pass, whatever the number of ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orion.connectors.hubspot.cursor import Position

ID_PROPERTY = "hs_object_id"


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result with its keyset coordinates."""

    modified_ms: int
    object_id: int
    obj: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Step:
    emit: list[Hit]
    pos: Position
    caught_up: bool


def _filter(prop: str, operator: str, value: int) -> dict[str, str]:
    return {"propertyName": prop, "operator": operator, "value": str(value)}


def _at(prop: str, at: int) -> list[dict[str, str]]:
    return [_filter(prop, "GTE", at), _filter(prop, "LTE", at)]


def request_body(
    modified_prop: str, pos: Position, limit: int, properties: list[str]
) -> dict[str, Any]:
    """The search request for ``pos`` (always from offset 0)."""
    if pos.drain:
        filters = _at(modified_prop, pos.at)
        if pos.after_id is not None:
            filters.append(_filter(ID_PROPERTY, "GT", pos.after_id))
        groups = [{"filters": filters}]
        sort = ID_PROPERTY
    else:
        sort = modified_prop
        if pos.after_id is None:
            groups = [{"filters": [_filter(modified_prop, "GTE", pos.at)]}]
        else:
            groups = [
                {
                    "filters": [
                        *_at(modified_prop, pos.at),
                        _filter(ID_PROPERTY, "GT", pos.after_id),
                    ]
                },
                {"filters": [_filter(modified_prop, "GT", pos.at)]},
            ]
    return {
        "filterGroups": groups,
        "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
        "properties": properties,
        "limit": limit,
    }


def newest_body(modified_prop: str) -> dict[str, Any]:
    """The most recently modified record: where search resumes after a backfill."""
    return {
        "sorts": [{"propertyName": modified_prop, "direction": "DESCENDING"}],
        "properties": [modified_prop],
        "limit": 1,
    }


def advance(pos: Position, hits: list[Hit], more: bool, rewind_ms: int = 0) -> Step:
    """What to emit from one answer and where the next request starts.

    When caught up, ``rewind_ms`` moves the next start back so records that reached HubSpot's
    search index late (it lags by seconds) are still read; re-reads are harmless duplicates.
    """
    if pos.drain:
        if more and hits:
            return Step(hits, Position(at=pos.at, after_id=hits[-1].object_id, drain=True), False)
        # Everything modified at ``at`` has been read: continue strictly after it.
        return Step(hits, Position(at=pos.at + 1), caught_up=False)
    if not hits:
        return Step([], pos, caught_up=True)
    last_at = hits[-1].modified_ms
    if not more:
        if rewind_ms > 0:
            return Step(hits, Position(at=max(0, last_at - rewind_ms)), caught_up=True)
        tied = [hit.object_id for hit in hits if hit.modified_ms == last_at]
        if last_at == pos.at and pos.after_id is not None:
            tied.append(pos.after_id)
        return Step(hits, Position(at=last_at, after_id=max(tied)), caught_up=True)
    if hits[0].modified_ms == last_at:
        after = pos.after_id if last_at == pos.at else None
        return Step([], Position(at=last_at, after_id=after, drain=True), caught_up=False)
    done = [hit for hit in hits if hit.modified_ms < last_at]
    return Step(done, Position(at=last_at), caught_up=False)
