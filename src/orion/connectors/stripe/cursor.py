"""The Stripe sync cursor: a backfill position, then a position in the event stream.

- ``backfill``: paging the list endpoint with ``starting_after``. The watermark (the newest event
  of the kind when the backfill started) is where the event stream resumes afterwards, so
  changes made during the backfill are read once the backfill ends.
- ``seek``: there was no usable event when the backfill started (none, or only one about to
  expire), so every event created after ``since`` (or, without it, every event) is new; walk
  back to the oldest of those (``starting_after``) before reading forward.
- ``events``: read forward from the last event read with ``ending_before`` (Stripe lists
  newest first), each event exactly once and in order.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from orion.records.unified import Kind


class _State(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = 1
    kind: Kind


class Backfill(_State):
    mode: Literal["backfill"] = "backfill"
    after: str | None = None
    watermark_event: str | None = None
    # The watermark event's ``created`` (Unix seconds): backfilled snapshots are at least this new.
    watermark_at: int | None = None
    # Started because the event cursor expired: objects not listed were deleted meanwhile.
    relist: bool = False


class Seek(_State):
    mode: Literal["seek"] = "seek"
    since: int | None = None
    older_than: str | None = None


class Events(_State):
    mode: Literal["events"] = "events"
    event: str
    at: int


StripeCursor = Annotated[Backfill | Seek | Events, Field(discriminator="mode")]
ADAPTER: TypeAdapter[Backfill | Seek | Events] = TypeAdapter(StripeCursor)
