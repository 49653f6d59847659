"""The search partitioning reads every record exactly once, whatever the ties and page size.

A small in-memory search stands in for HubSpot: it evaluates the filters we send, sorts by
the one sort property, orders ties in an order we do not control (shuffled), refuses offsets
and pages past the 10,000-result cap, and answers ``paging.next`` when more results match.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from orion.connectors.hubspot import search
from orion.connectors.hubspot.cursor import Position

PROP = "lastmodifieddate"
CAP = 10_000


def _value(record: tuple[int, int], name: str) -> int:
    return record[0] if name == PROP else record[1]


def _matches(record: tuple[int, int], flt: dict[str, str]) -> bool:
    have, want = _value(record, flt["propertyName"]), int(flt["value"])
    return {
        "GT": have > want,
        "GTE": have >= want,
        "LTE": have <= want,
        "EQ": have == want,
    }[flt["operator"]]


def run_search(
    records: list[tuple[int, int]], body: dict[str, Any], rng: random.Random
) -> tuple[list[search.Hit], bool]:
    assert "after" not in body, "every request must start at offset 0"
    assert body["limit"] <= 200
    groups = body.get("filterGroups") or [{"filters": []}]
    found = [r for r in records if any(all(_matches(r, f) for f in g["filters"]) for g in groups)]
    (sort,) = body["sorts"]
    rng.shuffle(found)  # ties come back in no particular order
    found.sort(key=lambda r: _value(r, sort["propertyName"]))
    page = found[: body["limit"]]
    assert len(page) <= CAP
    hits = [search.Hit(at, object_id, {"id": str(object_id)}) for at, object_id in page]
    return hits, len(found) > len(page)


def read_all(
    records: list[tuple[int, int]],
    pos: Position,
    limit: int,
    rng: random.Random,
    rewind_ms: int = 0,
) -> tuple[list[int], Position, int]:
    emitted: list[int] = []
    for requests in range(1, 10 * len(records) + 10):
        hits, more = run_search(records, search.request_body(PROP, pos, limit, []), rng)
        step = search.advance(pos, hits, more, rewind_ms)
        emitted += [hit.object_id for hit in step.emit]
        pos = step.pos
        if step.caught_up:
            return emitted, pos, requests
    raise AssertionError("search did not converge")


@st.composite
def datasets(draw: st.DrawFn) -> list[tuple[int, int]]:
    count = draw(st.integers(min_value=0, max_value=200))
    spread = draw(st.sampled_from([1, 3, 50, 10**6]))  # 1: everything shares one timestamp
    ids = draw(st.lists(st.integers(1, 10**9), min_size=count, max_size=count, unique=True))
    return [(draw(st.integers(0, spread - 1)), object_id) for object_id in ids]


@settings(max_examples=60, deadline=None)
@given(datasets(), st.integers(min_value=1, max_value=30), st.randoms(use_true_random=False))
def test_every_record_is_read_exactly_once(
    records: list[tuple[int, int]], limit: int, rng: random.Random
) -> None:
    emitted, _, _ = read_all(records, Position(), limit, rng)
    assert sorted(emitted) == sorted(object_id for _, object_id in records)


@settings(max_examples=30, deadline=None)
@given(datasets(), st.integers(min_value=2, max_value=20), st.randoms(use_true_random=False))
def test_a_caught_up_cursor_reads_only_later_changes(
    records: list[tuple[int, int]], limit: int, rng: random.Random
) -> None:
    _, pos, _ = read_all(records, Position(), limit, rng)
    newest = max((at for at, _ in records), default=0)
    later = [(newest + 1 + i % 3, 10**10 + i) for i in range(limit * 2 + 1)]
    emitted, _, _ = read_all(records + later, pos, limit, rng)
    assert sorted(emitted) == sorted(object_id for _, object_id in later)


def test_more_than_the_cap_sharing_two_timestamps_is_read_once_each() -> None:
    rng = random.Random(7)
    records = [(1_700_000_000_000 + i // 6_000, i + 1) for i in range(12_000)]
    emitted, _, requests = read_all(records, Position(), 200, rng)
    assert len(emitted) == len(set(emitted)) == 12_000
    assert requests <= 12_000 / 200 + 4  # one request per page, plus the tie hand-overs


def test_rewinding_rereads_the_index_lag_window_after_catching_up() -> None:
    rng = random.Random(1)
    records = [(1_000, 1), (5_000, 2), (9_000, 3)]
    emitted, pos, _ = read_all(records, Position(), 10, rng, rewind_ms=5_000)
    assert (emitted, pos) == ([1, 2, 3], Position(at=4_000))
    late = (8_500, 4)  # modified before the newest record read, but indexed after the read
    emitted, _, _ = read_all([*records, late], pos, 10, rng, rewind_ms=5_000)
    assert emitted == [2, 4, 3]
