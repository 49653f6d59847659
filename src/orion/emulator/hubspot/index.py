"""Sorted indexes for CRM search, and the search plans they can answer without a scan.

Incremental readers search on the last-modified property from a keyset position, sorted by
it, with `hs_object_id` breaking ties; every request is a new query, so a per-query cache
does not help and scanning a 100,000-contact portal for each took about a second. So each
object type keeps its always-set integer properties (created, last-modified, id) as lists of
`(value, id)` kept sorted on seed, create, update and archive. A range filter on one of them
is two bisects; a group's other filters are tested only on the objects in that range; and a
group whose range is the sort order yields results in order, so a page costs its own length.

Results equal a full scan's (`search.ordered_ids`): HubSpot's order is the sort value with
ties by id ascending in both directions, and no sort means id order. Queries this cannot
answer (free text, sorting on an unindexed property) return None and are scanned.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from orion.emulator.hubspot.models import CrmObject, ObjectSchema
from orion.emulator.hubspot.search import (
    Filter,
    ObjectTest,
    SearchQuery,
    coerce,
    compile_group,
)

ID_PROPERTY = "hs_object_id"
RANGE_OPERATORS = frozenset({"EQ", "GT", "GTE", "LT", "LTE", "BETWEEN"})
_AFTER_ANY_ID = float("inf")
Bound = int | Decimal  # filter values of indexed properties: epoch ms or a number
Key = tuple[int, int]


def indexed_properties(schema: ObjectSchema) -> tuple[str, ...]:
    """Properties every object has as an integer, so one sorted list orders all of them."""
    return (schema.created_property, schema.modified_property, ID_PROPERTY)


@dataclass(frozen=True, slots=True)
class _Range:
    low: Bound | None = None
    low_open: bool = False
    high: Bound | None = None
    high_open: bool = False

    def narrowed(self, flt: Filter, value: Bound, high: Bound) -> _Range:
        """This range intersected with one range filter's."""
        lows: list[tuple[Bound, bool]] = []
        highs: list[tuple[Bound, bool]] = []
        if flt.operator in ("EQ", "GTE", "GT", "BETWEEN"):
            lows.append((value, flt.operator == "GT"))
        if flt.operator in ("EQ", "LTE", "LT"):
            highs.append((value, flt.operator == "LT"))
        if flt.operator == "BETWEEN":
            highs.append((high, False))
        result = self
        for bound, is_open in lows:
            if result.low is None or (bound, is_open) > (result.low, result.low_open):
                result = _Range(bound, is_open, result.high, result.high_open)
        for bound, is_open in highs:
            if result.high is None or (bound, not is_open) < (result.high, not result.high_open):
                result = _Range(result.low, result.low_open, bound, is_open)
        return result


class SortedIndex:
    """`(value, id)` for every active object, ascending; ties in value are in id order."""

    __slots__ = ("keys",)

    def __init__(self) -> None:
        self.keys: list[Key] = []

    def extend(self, keys: Iterable[Key]) -> None:
        self.keys.extend(keys)
        self.keys.sort()

    def add(self, value: int, object_id: int) -> None:
        insort(self.keys, (value, object_id))

    def remove(self, value: int, object_id: int) -> None:
        at = bisect_left(self.keys, (value, object_id))
        if at < len(self.keys) and self.keys[at] == (value, object_id):
            del self.keys[at]

    def span(self, bounds: _Range) -> range:
        """Positions of the keys whose value is within `bounds`."""
        keys, start, end = self.keys, 0, len(self.keys)
        if bounds.low is not None:
            first = (bounds.low, _AFTER_ANY_ID) if bounds.low_open else (bounds.low,)
            start = (bisect_right if bounds.low_open else bisect_left)(keys, first)
        if bounds.high is not None:
            last = (bounds.high,) if bounds.high_open else (bounds.high, _AFTER_ANY_ID)
            end = (bisect_left if bounds.high_open else bisect_right)(keys, last)
        return range(start, max(start, end))


@dataclass(frozen=True, slots=True)
class _Group:
    """One filter group read from one index: the positions of its range there, a test for
    the group's remaining filters (None: nothing left to test) and one for all of them."""

    prop: str
    span: range
    rest: ObjectTest | None
    test: ObjectTest


class IndexedSearch:
    """Answers one query of one object type from its indexes (see the module docstring)."""

    def __init__(
        self,
        indexes: Mapping[str, SortedIndex],
        store: Mapping[int, CrmObject],
        schema: ObjectSchema,
    ) -> None:
        self._indexes = indexes
        self._store = store
        self._schema = schema

    def run(self, query: SearchQuery, want: int) -> tuple[int, list[int]] | None:
        """`(total, the first `want` ids in result order)`, or None if a scan is needed."""
        sort = query.sorts[0] if query.sorts else None
        order = sort.property_name if sort is not None else ID_PROPERTY
        if query.query is not None or order not in self._indexes:
            return None
        descending = sort is not None and sort.descending
        groups = [self._plan(group, order) for group in query.filter_groups or ((),)]
        groups = [group for group in groups if group.span]
        members = [self._members(group) for group in groups]
        total = self._count(groups, members)
        streams = [
            self._stream(group, found, order, descending)
            for group, found in zip(groups, members, strict=True)
        ]
        return total, list(islice(_distinct_ids(heapq.merge(*streams)), want))

    def _plan(self, group: tuple[Filter, ...], order: str) -> _Group:
        """Read the group from the index whose range in it is narrowest."""
        ranges: dict[str, _Range] = {}
        for flt in group:
            if flt.property_name in self._indexes and flt.operator in RANGE_OPERATORS:
                kind = self._schema.properties[flt.property_name]
                value = coerce(kind, flt.value or "")
                high = coerce(kind, flt.high_value or "") if flt.operator == "BETWEEN" else value
                assert isinstance(value, Bound) and isinstance(high, Bound)
                bounds = ranges.get(flt.property_name, _Range())
                ranges[flt.property_name] = bounds.narrowed(flt, value, high)
        spans = {prop: self._indexes[prop].span(bounds) for prop, bounds in ranges.items()}
        spans.setdefault(order, range(len(self._indexes[order].keys)))
        prop = min(spans, key=lambda name: (len(spans[name]), name != order))
        rest = tuple(
            f for f in group if f.property_name != prop or f.operator not in RANGE_OPERATORS
        )
        return _Group(
            prop,
            spans[prop],
            compile_group(rest, self._schema) if rest else None,
            compile_group(group, self._schema),
        )

    def _members(self, group: _Group) -> list[int] | None:
        """The group's ids when some of its filters must be tested (None: its whole span)."""
        if group.rest is None:
            return None
        keys, store, rest = self._indexes[group.prop].keys, self._store, group.rest
        return [i for _, i in keys[group.span.start : group.span.stop] if rest(store[i])]

    def _ids(self, group: _Group, members: list[int] | None) -> Iterable[int]:
        if members is not None:
            return members
        keys = self._indexes[group.prop].keys
        return (i for _, i in keys[group.span.start : group.span.stop])

    def _count(self, groups: list[_Group], members: list[list[int] | None]) -> int:
        """Size of the union of the groups (ORed): the largest one whole, plus each other
        group's objects that neither the largest nor an earlier group matched, so only the
        smaller groups are walked."""
        sizes = [len(g.span) if m is None else len(m) for g, m in zip(groups, members, strict=True)]
        if not sizes:
            return 0
        largest = max(range(len(sizes)), key=sizes.__getitem__)
        total = sizes[largest]
        counted = [groups[largest].test]
        for at, group in enumerate(groups):
            if at == largest:
                continue
            for object_id in self._ids(group, members[at]):
                obj = self._store[object_id]
                if not any(test(obj) for test in counted):
                    total += 1
            counted.append(group.test)
        return total

    def _stream(
        self, group: _Group, members: list[int] | None, order: str, descending: bool
    ) -> Iterator[Key]:
        """The group's `(sort key, id)` in result order; the key negated when descending."""
        if group.prop == order:
            keys = self._indexes[order].keys
            span = group.span
            test = None if members is None else set(members).__contains__
            walk = _backwards(keys, span) if descending else (keys[p] for p in span)
            return ((-v if descending else v, i) for v, i in walk if test is None or test(i))
        sign = -1 if descending else 1
        keyed = [(sign * self._value(i, order), i) for i in self._ids(group, members)]
        keyed.sort()
        return iter(keyed)

    def _value(self, object_id: int, prop: str) -> int:
        value = self._store[object_id].typed(self._schema, prop)
        assert isinstance(value, int)  # indexed properties are always set integers
        return value


def _backwards(keys: list[Key], span: range) -> Iterator[Key]:
    """Keys in `span` by value descending, ties still in ascending id order."""
    end = span.stop
    while end > span.start:
        value = keys[end - 1][0]
        start = max(bisect_left(keys, (value,)), span.start)
        yield from keys[start:end]
        end = start


def _distinct_ids(keys: Iterator[Key]) -> Iterator[int]:
    """Ids of sorted keys, once each (an object matched by two groups has one key)."""
    last: int | None = None
    for _, object_id in keys:
        if object_id != last:
            yield object_id
            last = object_id
