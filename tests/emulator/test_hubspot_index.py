"""Indexed search answers exactly what a full scan answers, and keyset reads never scan."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orion.emulator.churn import ChurnSpec
from orion.emulator.hubspot import portal as portal_module
from orion.emulator.hubspot.portal import HubSpotPortal
from orion.emulator.hubspot.search import (
    MAX_LIMIT,
    SearchQuery,
    ordered_ids,
    parse_search_request,
)
from orion.emulator.state import EmulatorState
from tests.fixtures.emulator import EmulatorAccounts

INDEXED = ("lastmodifieddate", "createdate", "hs_object_id")
OPERATORS = ("EQ", "NEQ", "GT", "GTE", "LT", "LTE", "BETWEEN", "IN", "HAS_PROPERTY")


def _tied_portal() -> HubSpotPortal:
    """Contacts with large groups of equal modification times, archives and late creations."""
    state = EmulatorState()
    portal = state.add_hubspot_portal(contacts=400, seed=11)
    for seed, step in ((1, 0), (2, 0), (3, 5)):
        state.churn_hubspot(
            portal.access_token,
            contacts=ChurnSpec(create=15, update=60, delete=10),
            seed=seed,
            step_ms=step,
        )
    return portal


PORTAL = _tied_portal()
SCHEMA = PORTAL.schema("contacts")
LIVE = [PORTAL.objects["contacts"][i] for i in PORTAL.active_ids("contacts")]
SAMPLES = {name: sorted({int(str(o.typed(SCHEMA, name))) for o in LIVE}) for name in INDEXED}


@st.composite
def filters(draw: Any) -> dict[str, Any]:
    if draw(st.integers(0, 5)) == 0:  # now and then a filter no index can answer
        return draw(
            st.sampled_from(
                [
                    {"propertyName": "email", "operator": "HAS_PROPERTY"},
                    {"propertyName": "firstname", "operator": "EQ", "value": "Ada"},
                ]
            )
        )
    name = draw(st.sampled_from(INDEXED))
    operator = draw(st.sampled_from(OPERATORS))
    value = draw(st.sampled_from(SAMPLES[name])) + draw(st.sampled_from((-1, 0, 0, 0, 1)))
    flt: dict[str, Any] = {"propertyName": name, "operator": operator, "value": str(value)}
    if operator == "BETWEEN":
        flt["highValue"] = str(value + draw(st.sampled_from((0, 1, 10**4, 10**9))))
    if operator == "IN":
        flt["values"] = [str(value), str(draw(st.sampled_from(SAMPLES[name])))]
    return flt


queries = st.fixed_dictionaries(
    {
        "filterGroups": st.lists(
            st.builds(lambda fs: {"filters": fs}, st.lists(filters(), min_size=1, max_size=3)),
            max_size=3,
        ),
        "sorts": st.one_of(
            st.just([]),
            st.lists(
                st.builds(
                    lambda name, direction: {"propertyName": name, "direction": direction},
                    st.sampled_from(INDEXED),
                    st.sampled_from(("ASCENDING", "DESCENDING")),
                ),
                min_size=1,
                max_size=1,
            ),
        ),
        "limit": st.sampled_from((1, 7, MAX_LIMIT)),
    }
)


def _scan(portal: HubSpotPortal, query: SearchQuery) -> list[int]:
    store = portal.objects["contacts"]
    schema = portal.schema("contacts")
    return ordered_ids((store[i] for i in portal.active_ids("contacts")), query, schema)


def _search_all(portal: HubSpotPortal, body: dict[str, Any]) -> tuple[int, list[int]]:
    """Every page of one query, as a client pages it with `after`."""
    ids: list[int] = []
    totals: set[int] = set()
    after = 0
    while True:
        query = parse_search_request({**body, "after": after}, portal.schema("contacts"))
        total, page, following = portal.search("contacts", query)
        totals.add(total)
        ids += [obj.id for obj in page]
        if following is None:
            (single,) = totals
            return single, ids
        after = int(following)


@settings(deadline=None, max_examples=300)
@given(queries)
def test_indexed_search_equals_a_full_scan(body: dict[str, Any]) -> None:
    expected = _scan(PORTAL, parse_search_request(body, SCHEMA))

    total, ids = _search_all(PORTAL, body)

    assert total == len(expected)
    assert ids == expected


def _keyset_bodies(at: int, after_id: int) -> list[dict[str, Any]]:
    """The connector's requests: from a position, ties by id, and the newest record."""

    def flt(name: str, operator: str, value: int) -> dict[str, str]:
        return {"propertyName": name, "operator": operator, "value": str(value)}

    ascending = [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
    tie = [flt("lastmodifieddate", "GTE", at), flt("lastmodifieddate", "LTE", at)]
    return [
        {"filterGroups": [{"filters": [flt("lastmodifieddate", "GTE", at)]}], "sorts": ascending},
        {
            "filterGroups": [
                {"filters": [*tie, flt("hs_object_id", "GT", after_id)]},
                {"filters": [flt("lastmodifieddate", "GT", at)]},
            ],
            "sorts": ascending,
        },
        {
            "filterGroups": [{"filters": [*tie, flt("hs_object_id", "GT", after_id)]}],
            "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        },
        {"sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}], "limit": 1},
    ]


def test_indexes_follow_every_change_and_keyset_reads_never_scan(
    emulator_accounts: EmulatorAccounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    portal = emulator_accounts.hubspot(contacts=300, invoices=100, seed=5)
    state = emulator_accounts.state
    schema = portal.schema("contacts")

    def no_scan(*args: Any) -> list[int]:
        raise AssertionError("scanned the portal")

    for seed in range(4):
        state.churn_hubspot(
            portal.access_token,
            contacts=ChurnSpec(create=5, update=40, delete=5),
            invoices=ChurnSpec(create=2, update=10, delete=2),
            seed=seed,
            step_ms=seed % 2,
        )
        live = [portal.objects["contacts"][i] for i in portal.active_ids("contacts")]
        middle = sorted(live, key=lambda o: (o.updated_ms, o.id))[len(live) // 2]
        for body in _keyset_bodies(middle.updated_ms, middle.id):
            expected = _scan(portal, parse_search_request(body, schema))
            with monkeypatch.context() as patch:
                patch.setattr(portal_module, "ordered_ids", no_scan)
                found = _search_all(portal, {"limit": 50, **body})
            assert found == (len(expected), expected)


def test_free_text_and_other_sorts_still_scan(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=80, seed=6)
    schema = portal.schema("contacts")
    for body in (
        {"query": "ada", "sorts": ["createdate"]},
        {"sorts": [{"propertyName": "email", "direction": "DESCENDING"}]},
    ):
        expected = _scan(portal, parse_search_request(body, schema))
        assert _search_all(portal, body) == (len(expected), expected)
