"""CRM search: request validation, filter evaluation and sorting (pure functions).

Semantics follow HubSpot's search guide: filter groups are ORed, filters inside a group
ANDed (at most 5 groups, 6 filters per group, 18 in all); string comparisons ignore case;
datetime filter values are epoch milliseconds or ISO dates; `sorts` are strings or
`{propertyName, direction}`; one sort at most; ties are broken by object id ascending and
objects without the sort property come last. `limit` is at most 200 and `after` an offset.

Filters are compiled once per query (values coerced up front) because a scan applies them
to every object; `index` answers most queries from sorted indexes with the same semantics.
"""

from __future__ import annotations

import fnmatch
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from orion.emulator.hubspot.models import CrmObject, ObjectSchema, PropertyType, Value

OPERATORS = frozenset(
    {
        "EQ",
        "NEQ",
        "LT",
        "LTE",
        "GT",
        "GTE",
        "BETWEEN",
        "IN",
        "NOT_IN",
        "HAS_PROPERTY",
        "NOT_HAS_PROPERTY",
        "CONTAINS_TOKEN",
        "NOT_CONTAINS_TOKEN",
    }
)
MAX_LIMIT = 200
MAX_RESULTS = 10_000
Comparable = str | int | Decimal
Predicate = Callable[[Value], bool]
ObjectTest = Callable[[CrmObject], bool]


class SearchValidationError(ValueError):
    """A 400 VALIDATION_ERROR answer."""


@dataclass(frozen=True, slots=True)
class Filter:
    property_name: str
    operator: str
    value: str | None = None
    high_value: str | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sort:
    property_name: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    filter_groups: tuple[tuple[Filter, ...], ...] = ()
    sorts: tuple[Sort, ...] = ()
    properties: tuple[str, ...] | None = None
    query: str | None = None
    limit: int = 10
    after: int = 0

    def result_key(self) -> tuple[Any, ...]:
        """What determines the ordered result set (not the page)."""
        return (self.filter_groups, self.sorts, self.query)


def _string(raw: Any, what: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise SearchValidationError(f"{what} must be a string")
    return str(raw)


def parse_filter(raw: Any, schema: ObjectSchema) -> Filter:
    if not isinstance(raw, dict):
        raise SearchValidationError("each filter must be an object")
    name = raw.get("propertyName")
    operator = raw.get("operator", "EQ")
    if not isinstance(name, str) or name not in schema.properties:
        raise SearchValidationError(f"Unknown property for {schema.name}: {name!r}")
    if operator not in OPERATORS:
        raise SearchValidationError(f"Unknown filter operator: {operator!r}")
    kind = schema.properties[name]
    value = raw.get("value")
    high = raw.get("highValue")
    values = raw.get("values")
    parsed = Filter(name, operator)
    if operator in ("IN", "NOT_IN"):
        if not isinstance(values, list) or not values:
            raise SearchValidationError(f"{operator} needs a non-empty 'values' list")
        items = tuple(_string(v, "values") for v in values)
        for item in items:
            coerce(kind, item)
        return Filter(name, operator, values=items)
    if operator in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        return parsed
    if value is None:
        raise SearchValidationError(f"{operator} needs a 'value'")
    text = _string(value, "value")
    if operator in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        return Filter(name, operator, value=text)
    coerce(kind, text)
    if operator == "BETWEEN":
        if high is None:
            raise SearchValidationError("BETWEEN needs a 'highValue'")
        high_text = _string(high, "highValue")
        coerce(kind, high_text)
        return Filter(name, operator, value=text, high_value=high_text)
    return Filter(name, operator, value=text)


def parse_sort(raw: Any, schema: ObjectSchema) -> Sort:
    name: Any
    if isinstance(raw, str):
        descending = raw.startswith("-")
        name = raw.removeprefix("-")
    elif isinstance(raw, dict):
        name = raw.get("propertyName")
        direction = raw.get("direction", "ASCENDING")
        if direction not in ("ASCENDING", "DESCENDING"):
            raise SearchValidationError(f"Unknown sort direction: {direction!r}")
        descending = direction == "DESCENDING"
    else:
        raise SearchValidationError("sorts must be strings or {propertyName, direction}")
    if not isinstance(name, str) or name not in schema.properties:
        raise SearchValidationError(f"Unknown sort property for {schema.name}: {name!r}")
    return Sort(name, descending)


def parse_search_request(body: Any, schema: ObjectSchema) -> SearchQuery:
    if not isinstance(body, dict):
        raise SearchValidationError("The request body must be a JSON object")
    groups_raw = body.get("filterGroups") or []
    if not isinstance(groups_raw, list) or len(groups_raw) > 5:
        raise SearchValidationError("At most 5 filterGroups are allowed")
    groups: list[tuple[Filter, ...]] = []
    for group in groups_raw:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or len(filters) > 6:
            raise SearchValidationError("Each filterGroup needs a 'filters' list of at most 6")
        groups.append(tuple(parse_filter(f, schema) for f in filters))
    if sum(len(g) for g in groups) > 18:
        raise SearchValidationError("At most 18 filters are allowed in total")
    sorts_raw = body.get("sorts") or []
    if not isinstance(sorts_raw, list) or len(sorts_raw) > 1:
        raise SearchValidationError("Only one sort is supported")
    properties_raw = body.get("properties")
    properties: tuple[str, ...] | None = None
    if properties_raw is not None:
        if not isinstance(properties_raw, list):
            raise SearchValidationError("properties must be a list of strings")
        properties = tuple(_string(p, "properties") for p in properties_raw)
    query = body.get("query")
    return SearchQuery(
        filter_groups=tuple(groups),
        sorts=tuple(parse_sort(s, schema) for s in sorts_raw),
        properties=properties,
        query=_string(query, "query") if query not in (None, "") else None,
        limit=_bounded_int(body.get("limit", 10), "limit", 1, MAX_LIMIT),
        after=_bounded_int(body.get("after", 0) or 0, "after", 0, None),
    )


def _bounded_int(raw: Any, name: str, low: int, high: int | None) -> int:
    try:
        number = int(_string(raw, name))
    except ValueError as exc:
        raise SearchValidationError(f"{name} must be an integer") from exc
    if number < low or (high is not None and number > high):
        limit = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SearchValidationError(f"{name} must be {limit}, got {number}")
    return number


def parse_datetime_ms(text: str) -> int:
    """Epoch ms (`"1738368000000"`) or ISO-8601 (`"2025-02-01"`, `"...T00:00:00Z"`)."""
    stripped = text.strip()
    if re.fullmatch(r"-?\d+", stripped):
        return int(stripped)
    try:
        moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError as exc:
        raise SearchValidationError(f"Invalid datetime value: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def coerce(kind: PropertyType, text: str) -> Comparable:
    """A filter value in the property's comparison domain."""
    if kind == "datetime":
        return parse_datetime_ms(text)
    if kind == "number":
        try:
            number = Decimal(text.strip())
        except InvalidOperation as exc:
            raise SearchValidationError(f"Invalid number value: {text!r}") from exc
        if not number.is_finite():  # NaN cannot be ordered; neither is a HubSpot number
            raise SearchValidationError(f"Invalid number value: {text!r}")
        return number
    return text.casefold()


def comparable(kind: PropertyType, value: Value) -> Comparable | None:
    """A stored value in the same domain as `coerce`."""
    if value is None or value == "":
        return None
    if kind == "datetime":
        return value if isinstance(value, int) else parse_datetime_ms(str(value))
    if kind == "number":
        return Decimal(str(value))
    return str(value).casefold()


def _tokens(text: str) -> set[str]:
    lowered = text.casefold()
    return {lowered, *[t for t in re.split(r"[\s,;]+", lowered) if t]}


def compile_filter(flt: Filter, kind: PropertyType) -> Predicate:
    """A test of one stored value, with the filter's own values coerced once (not per object)."""
    op = flt.operator
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        present = op == "HAS_PROPERTY"
        return lambda value: (comparable(kind, value) is not None) is present
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        wanted = (flt.value or "").casefold()
        positive = op == "CONTAINS_TOKEN"

        def contains(value: Value) -> bool:
            found = comparable(kind, value) is not None and any(
                fnmatch.fnmatchcase(token, wanted) for token in _tokens(str(value))
            )
            return found is positive

        return contains
    if op in ("IN", "NOT_IN"):
        targets = frozenset(coerce(kind, v) for v in flt.values)
        inside = op == "IN"
        return lambda value: (comparable(kind, value) in targets) is inside
    target = coerce(kind, flt.value or "")
    if op == "EQ":
        return lambda value: comparable(kind, value) == target
    if op == "NEQ":
        return lambda value: comparable(kind, value) != target
    if op == "BETWEEN":
        return _between(kind, target, coerce(kind, flt.high_value or ""))
    compare = _ORDERED[op]

    def ordered(value: Value) -> bool:
        have = comparable(kind, value)
        return type(have) is type(target) and compare(have, target)

    return ordered


def _between(kind: PropertyType, low: Comparable, high: Comparable) -> Predicate:
    def between(value: Value) -> bool:
        have = comparable(kind, value)
        return have is not None and low <= have <= high  # type: ignore[operator]

    return between


_ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "LT": operator.lt,
    "LTE": operator.le,
    "GT": operator.gt,
    "GTE": operator.ge,
}


def filter_matches(flt: Filter, kind: PropertyType, value: Value) -> bool:
    return compile_filter(flt, kind)(value)


def compile_group(group: tuple[Filter, ...], schema: ObjectSchema) -> ObjectTest:
    """All filters of one group (ANDed) as one test of an object."""
    checks = [
        (f.property_name, compile_filter(f, schema.properties[f.property_name])) for f in group
    ]
    return lambda obj: all(check(obj.typed(schema, name)) for name, check in checks)


def compile_query(query: SearchQuery, schema: ObjectSchema) -> ObjectTest:
    """The whole query (text and filter groups) as one test of an object."""
    groups = [compile_group(group, schema) for group in query.filter_groups]
    needle = query.query.casefold() if query.query is not None else None

    def matches(obj: CrmObject) -> bool:
        if needle is not None and not any(
            needle in str(obj.values.get(p) or "").casefold() for p in schema.searchable
        ):
            return False
        return not groups or any(group(obj) for group in groups)

    return matches


def object_matches(obj: CrmObject, query: SearchQuery, schema: ObjectSchema) -> bool:
    return compile_query(query, schema)(obj)


def ordered_ids(
    objects: Iterable[CrmObject], query: SearchQuery, schema: ObjectSchema
) -> list[int]:
    """Matching ids in result order by scanning; `objects` must come in ascending id order."""
    test = compile_query(query, schema)
    matching = [obj for obj in objects if test(obj)]
    if not query.sorts:
        return [obj.id for obj in matching]
    sort = query.sorts[0]
    kind = schema.properties[sort.property_name]
    keyed = [(comparable(kind, obj.typed(schema, sort.property_name)), obj.id) for obj in matching]
    present = [(key, object_id) for key, object_id in keyed if key is not None]
    missing = [object_id for key, object_id in keyed if key is None]
    # Stable sort on the value alone keeps ties in ascending id order in both directions.
    present.sort(key=lambda pair: pair[0], reverse=sort.descending)
    return [object_id for _, object_id in present] + missing
