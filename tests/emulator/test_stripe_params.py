"""Stripe parameter parsing: what the SDK encodes, the emulator reads back exactly."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from orion.emulator.stripe.errors import StripeAPIError
from orion.emulator.stripe.params import (
    CreatedRange,
    parse_created,
    parse_list_params,
    parse_params,
)

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12),
)
values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=4),
        st.dictionaries(names, inner, min_size=1, max_size=4),
    ),
    max_leaves=12,
)

# Examples are cheap, but a busy 2-core runner can stall any single one past a deadline.
relaxed = settings(deadline=None)


@relaxed
@given(st.dictionaries(names, values, max_size=5))
def test_round_trip_through_the_sdk_encoder(params: dict[str, Any]) -> None:
    query = urlencode(list(_api_encode(params)))

    assert parse_params(parse_qsl(query, keep_blank_values=True)) == params


def test_legacy_empty_brackets_append() -> None:
    parsed = parse_params([("types[]", "a"), ("types[]", "b"), ("expand[]", "x")])

    assert parsed == {"types": ["a", "b"], "expand": ["x"]}


def test_conflicting_shapes_are_rejected() -> None:
    with pytest.raises(StripeAPIError) as caught:
        parse_params([("created", "1"), ("created[gte]", "2")])

    assert caught.value.status == 400


@relaxed
@given(
    st.dictionaries(st.sampled_from(["gt", "gte", "lt", "lte"]), st.integers(0, 2000), min_size=1),
    st.integers(0, 2000),
)
def test_created_range_matches_operator_semantics(ops: dict[str, int], created: int) -> None:
    expected = all(
        {"gt": created > v, "gte": created >= v, "lt": created < v, "lte": created <= v}[op]
        for op, v in ops.items()
    )

    bounds = parse_created({op: str(v) for op, v in ops.items()})

    assert bounds.contains(created) is expected


def test_exact_created_value() -> None:
    assert parse_created("42") == CreatedRange(gte=42, lte=42)


@relaxed
@given(st.integers(-1000, 1000))
def test_limit_bounds(limit: int) -> None:
    if 1 <= limit <= 100:
        assert parse_list_params({"limit": str(limit)}).limit == limit
    else:
        with pytest.raises(StripeAPIError) as caught:
            parse_list_params({"limit": str(limit)})
        assert caught.value.param == "limit"
        assert caught.value.status == 400


def test_default_limit_and_extra_params() -> None:
    assert parse_list_params({}).limit == 10
    assert parse_list_params({"email": "a@b.c"}, frozenset({"email"})).limit == 10
    with pytest.raises(StripeAPIError):
        parse_list_params({"email": "a@b.c"})
