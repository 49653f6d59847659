"""The capability every provider connector offers; new providers never touch the callers."""

from __future__ import annotations

from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from orion.records.unified import Customer, Invoice, Kind, Provider


class Page(BaseModel):
    """One step of a sync: records to upsert and where to continue.

    ``next_cursor`` is opaque (JSON owned by the connector) and is stored with the records in one
    transaction; our connectors always return one. ``has_more`` says whether to call again now;
    when it is false the sync has caught up and the cursor is kept for the next run. ``gap``
    means the old cursor could not be continued and a full re-list of the kind started with
    this page.
    """

    model_config = ConfigDict(frozen=True)

    records: list[Customer | Invoice]
    next_cursor: str | None
    has_more: bool
    gap: bool = False
    # Set on the page that ends a full re-list after a gap: every live object of the kind was
    # listed with a snapshot at least this new, so stored live records older than this were
    # deleted at the provider while Orion could not see its events.
    listed_before: AwareDatetime | None = None


class Connector(Protocol):
    """Read access to one provider account."""

    provider: Provider

    async def validate(self) -> str:
        """Check the credential; return the external account id (``acct_...``, portal id)."""
        ...

    async def list_page(self, kind: Kind, cursor: str | None) -> Page:
        """Read the next page of changes of ``kind``; ``None`` starts a full backfill."""
        ...

    async def fetch(self, kind: Kind, external_id: str) -> Customer | Invoice | None:
        """The current object (deleted ones with ``deleted=True``), ``None`` if unknown."""
        ...

    async def aclose(self) -> None:
        """Release the HTTP client if the connector created it (a shared one stays open)."""
        ...
