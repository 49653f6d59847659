"""Search filter semantics as algebraic properties, plus request validation."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orion.emulator.hubspot.models import CONTACTS, INVOICES, CrmObject, iso_ms
from orion.emulator.hubspot.search import (
    SearchQuery,
    SearchValidationError,
    filter_matches,
    object_matches,
    ordered_ids,
    parse_filter,
    parse_search_request,
)

WORDS = ("ada", "Ada", "grace", "GRACE", "alan", "", "zoë")

contacts = st.builds(
    lambda i, created, updated, email, name: CrmObject(
        id=i,
        created_ms=created,
        updated_ms=created + updated,
        values={k: v for k, v in {"email": email, "firstname": name}.items() if v is not None},
    ),
    st.integers(1, 10**6),
    st.integers(0, 10**6),
    st.integers(0, 1000),
    st.one_of(st.none(), st.sampled_from(("a@x.com", "B@x.com", "c@y.org"))),
    st.one_of(st.none(), st.sampled_from(WORDS)),
)
string_values = st.sampled_from(WORDS[:-2])
times = st.integers(0, 10**6 + 1000)

# Examples are cheap, but a busy 2-core runner can stall any single one past a deadline.
relaxed = settings(deadline=None)


def _flt(prop: str, op: str, **kw: Any) -> Any:
    return parse_filter({"propertyName": prop, "operator": op, **kw}, CONTACTS)


def _match(obj: CrmObject, flt: Any) -> bool:
    kind = CONTACTS.properties[flt.property_name]
    return filter_matches(flt, kind, obj.typed(CONTACTS, flt.property_name))


@relaxed
@given(contacts, string_values)
def test_eq_and_neq_are_complements(obj: CrmObject, value: str) -> None:
    eq = _match(obj, _flt("firstname", "EQ", value=value))
    neq = _match(obj, _flt("firstname", "NEQ", value=value))

    assert eq != neq


@relaxed
@given(contacts, string_values)
def test_eq_ignores_case_and_equals_single_in(obj: CrmObject, value: str) -> None:
    lower = _match(obj, _flt("firstname", "EQ", value=value.lower()))
    upper = _match(obj, _flt("firstname", "EQ", value=value.upper()))
    single_in = _match(obj, _flt("firstname", "IN", values=[value]))

    assert lower == upper == single_in


@relaxed
@given(contacts)
def test_has_property_complements_not_has_property(obj: CrmObject) -> None:
    has = _match(obj, _flt("email", "HAS_PROPERTY"))

    assert has == (obj.values.get("email") is not None)
    assert _match(obj, _flt("email", "NOT_HAS_PROPERTY")) is not has


@relaxed
@given(contacts, times, st.booleans())
def test_datetime_ordering_operators(obj: CrmObject, at: int, as_iso: bool) -> None:
    value = iso_ms(at) if as_iso else str(at)
    gt = _match(obj, _flt("lastmodifieddate", "GT", value=value))
    eq = _match(obj, _flt("lastmodifieddate", "EQ", value=value))
    gte = _match(obj, _flt("lastmodifieddate", "GTE", value=value))
    lt = _match(obj, _flt("lastmodifieddate", "LT", value=value))
    lte = _match(obj, _flt("lastmodifieddate", "LTE", value=value))

    assert gte == (gt or eq)
    assert lte == (lt or eq)
    assert gt == (obj.updated_ms > at)
    assert (gt, eq, lt).count(True) == 1


@relaxed
@given(contacts, times, times)
def test_between_is_gte_and_lte(obj: CrmObject, low: int, high: int) -> None:
    between = _match(obj, _flt("createdate", "BETWEEN", value=str(low), highValue=str(high)))

    assert between == (low <= obj.created_ms <= high)


@relaxed
@given(contacts, st.lists(string_values, min_size=1, max_size=3), string_values)
def test_filter_groups_or_and_filters_and(
    obj: CrmObject, group_values: list[str], other: str
) -> None:
    groups = [
        {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": v}]}
        for v in group_values
    ]
    any_group = parse_search_request({"filterGroups": groups}, CONTACTS)
    both = parse_search_request(
        {
            "filterGroups": [
                {
                    "filters": [
                        {"propertyName": "firstname", "operator": "EQ", "value": group_values[0]},
                        {"propertyName": "firstname", "operator": "NEQ", "value": other},
                    ]
                }
            ]
        },
        CONTACTS,
    )

    singles = [_match(obj, _flt("firstname", "EQ", value=v)) for v in group_values]
    assert object_matches(obj, any_group, CONTACTS) == any(singles)
    assert object_matches(obj, both, CONTACTS) == (
        singles[0] and _match(obj, _flt("firstname", "NEQ", value=other))
    )


@relaxed
@given(st.lists(contacts, max_size=30, unique_by=lambda o: o.id), st.booleans())
def test_sort_ties_break_by_id_and_missing_values_last(
    objects: list[CrmObject], descending: bool
) -> None:
    objects.sort(key=lambda o: o.id)
    direction = "DESCENDING" if descending else "ASCENDING"
    query = parse_search_request(
        {"sorts": [{"propertyName": "firstname", "direction": direction}]}, CONTACTS
    )

    ids = ordered_ids(objects, query, CONTACTS)

    by_id = {o.id: o for o in objects}
    keys = [(by_id[i].values.get("firstname") or None) for i in ids]
    present = [k for k in keys if k is not None]
    assert keys == present + [None] * (len(keys) - len(present))
    folded = [str(k).casefold() for k in present]
    assert folded == sorted(folded, reverse=descending)
    for left, right in itertools.pairwise(ids):
        same = (
            str(by_id[left].values.get("firstname") or "").casefold()
            == str(by_id[right].values.get("firstname") or "").casefold()
        )
        if same:
            assert left < right


def test_string_sort_spec_is_accepted() -> None:
    assert parse_search_request({"sorts": ["-createdate"]}, CONTACTS).sorts[0].descending
    assert not parse_search_request({"sorts": ["createdate"]}, CONTACTS).sorts[0].descending


def test_number_filters_on_invoices() -> None:
    invoice = CrmObject(1, 0, 0, {"hs_amount_billed": "250.00"})
    flt = parse_filter(
        {"propertyName": "hs_amount_billed", "operator": "GT", "value": "99.5"}, INVOICES
    )

    assert filter_matches(flt, "number", invoice.typed(INVOICES, "hs_amount_billed"))


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 201},
        {"limit": 0},
        {"after": "-1"},
        {"sorts": ["email", "createdate"]},
        {"sorts": ["nope"]},
        {"filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "x"}]}]},
        {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "LIKE", "value": "x"}]}
            ]
        },
        {"filterGroups": [{"filters": [{"propertyName": "email", "operator": "IN"}]}]},
        {
            "filterGroups": [
                {"filters": [{"propertyName": "createdate", "operator": "GT", "value": "soon"}]}
            ]
        },
        {"filterGroups": [{"filters": []}] * 6},
    ],
)
def test_invalid_requests(body: dict[str, Any]) -> None:
    with pytest.raises(SearchValidationError):
        parse_search_request(body, CONTACTS)


def test_defaults() -> None:
    assert parse_search_request({}, CONTACTS) == SearchQuery()
