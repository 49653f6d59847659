"""Reading a connector the way one sync run does (until ``has_more`` is false)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from orion.connectors.base import Connector, Page
from orion.records.unified import Kind

Call = Callable[[Callable[[], Awaitable[Page]]], Awaitable[Page]]


async def _direct(attempt: Callable[[], Awaitable[Page]]) -> Page:
    return await attempt()


async def drain(
    connector: Connector,
    kind: Kind,
    cursor: str | None,
    *,
    call: Call = _direct,
    max_pages: int = 2_000,
) -> tuple[list[Page], str | None]:
    """Call ``list_page`` until the sync has caught up, as one sync run does."""
    pages: list[Page] = []
    for _ in range(max_pages):
        page = await call(partial(connector.list_page, kind, cursor))
        pages.append(page)
        cursor = page.next_cursor
        if not page.has_more:
            return pages, cursor
    raise AssertionError(f"no end after {max_pages} pages")


def ids(pages: list[Page]) -> list[str]:
    return [record.external_id for page in pages for record in page.records]
