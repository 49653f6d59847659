"""The HubSpot sync cursor: list backfill, then search on last-modified plus archive sweeps.

- ``list``: ``GET /crm/v3/objects/{type}`` pages (``after``), first live then archived records.
  ``start`` is the search position taken before the backfill (the newest modification time),
  so changes made during the backfill are read by the search afterwards.
- ``search``: ``POST .../search`` on the last-modified property from ``pos``; every request
  starts at offset 0 (see ``search``), so HubSpot's 10,000-result cap is never reached.
- ``sweep``: search never returns archived records, so once search has caught up the archived
  list is read and records archived since ``archive.floor`` are emitted as deleted.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from orion.records.unified import Kind


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Position(_Frozen):
    """Everything before ``(at, after_id)`` in (modified-at ms, hs_object_id) order was read.

    ``after_id`` of ``None`` means nothing modified exactly at ``at`` was read yet. ``drain``
    means more than a page of records share ``at`` and are being read in id order.
    """

    at: int = 0
    after_id: int | None = None
    drain: bool = False


class Archive(_Frozen):
    """Sweep anchors, lagging one sweep behind (see ``HubSpotConnector._sweep``).

    ``floor``: emit archived records archived at or after this (ms); ``None`` emits all.
    ``last_max``: the newest ``archivedAt`` the previous sweep saw, the next sweep's floor.
    """

    floor: int | None = None
    last_max: int | None = None


class _State(_Frozen):
    v: Literal[1] = 1
    kind: Kind


class Listing(_State):
    mode: Literal["list"] = "list"
    archived: bool = False
    after: str | None = None
    start: Position
    seen_max: int | None = None


class Search(_State):
    mode: Literal["search"] = "search"
    pos: Position
    archive: Archive = Archive()


class Sweep(_State):
    mode: Literal["sweep"] = "sweep"
    pos: Position
    archive: Archive
    after: str | None = None
    seen_max: int | None = None


HubSpotCursor = Annotated[Listing | Search | Sweep, Field(discriminator="mode")]
ADAPTER: TypeAdapter[Listing | Search | Sweep] = TypeAdapter(HubSpotCursor)
