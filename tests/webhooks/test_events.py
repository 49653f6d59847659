"""Parsing webhook bodies: documented shapes parse, anything else is MalformedPayload (400)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orion.webhooks.events import (
    MalformedPayload,
    hubspot_event_id,
    parse_hubspot,
    parse_stripe,
)
from tests.connectors.samples import stripe_event, stripe_object

EXAMPLE = (Path(__file__).parent / "data" / "hubspot-webhook-events.example.json").read_bytes()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def test_stripe_event_parses() -> None:
    event = stripe_event(
        "customer.updated", stripe_object("latest", "customer"), 1_700_000_000, "evt_1"
    )
    parsed = parse_stripe(orjson.dumps(event))
    assert (parsed.event_id, parsed.event_type) == ("evt_1", "customer.updated")
    assert parsed.object_id == event["data"]["object"]["id"]
    assert parsed.occurred_at is not None and parsed.occurred_at.timestamp() == 1_700_000_000
    assert json.loads(parsed.payload) == event


def test_hubspot_example_parses_with_portal_and_types() -> None:
    events = parse_hubspot(EXAMPLE)
    assert [e.portal_id for e in events] == ["12345678"] * 4
    assert [e.event.event_type for e in events] == [
        "contact.creation",
        "contact.propertyChange",
        "contact.propertyChange",
        "contact.deletion",
    ]
    assert [e.event.object_id for e in events] == ["1001", "1001", "1002", "998"]
    assert len({e.event.event_id for e in events}) == 4


def test_hubspot_dedupe_key_ignores_the_attempt_number_only() -> None:
    base = json.loads(EXAMPLE)[1]
    key = hubspot_event_id(base)
    assert hubspot_event_id({**base, "attemptNumber": 7}) == key
    assert hubspot_event_id({**base, "changeSource": "IMPORT"}) == key
    for field, value in [
        ("eventId", 1), ("portalId", 1), ("subscriptionId", 1), ("occurredAt", 1),
        ("objectId", 1), ("subscriptionType", "contact.deletion"), ("propertyName", "phone"),
    ]:  # fmt: skip
        assert hubspot_event_id({**base, field: value}) != key, field


def test_hubspot_same_event_id_other_change_is_another_event() -> None:
    """HubSpot says eventId alone is not unique: two changes sharing one are both kept."""
    first, second = json.loads(EXAMPLE)[:2]
    second = {**second, "eventId": first["eventId"]}
    body = orjson.dumps([first, second])
    assert len({e.event.event_id for e in parse_hubspot(body)}) == 2


def test_legacy_event_type_field_is_accepted() -> None:
    event = json.loads(EXAMPLE)[0]
    event["eventType"] = event.pop("subscriptionType")
    (parsed,) = parse_hubspot(orjson.dumps([event]))
    assert parsed.event.event_type == "contact.creation"


@pytest.mark.parametrize(
    "body",
    [
        b"", b"{", b"null", b"[]", b"{}", b"[1]", b'"x"', b"\xff\xfe",
        b'{"id": "evt_1", "type": "x", "created": 1}',
        b'{"id": "evt_1", "type": "x", "created": "soon", "data": {"object": {}}}',
        b'{"id": "", "type": "x", "created": 1, "data": {"object": {}}}',
        b'{"id": "evt_1", "type": "x", "created": 1e400, "data": {"object": {}}}',
    ],
)  # fmt: skip
def test_malformed_stripe_bodies(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse_stripe(body)


@pytest.mark.parametrize(
    "body",
    [
        b"", b"{}", b"[]", b"[null]", b'[{"portalId": "x"}]', b"[" + b"{}," * 1000 + b"{}]",
        b'[{"portalId": 1, "eventId": 1, "subscriptionId": 1, "occurredAt": 1}]',
        b'[{"portalId": true, "eventId": 1, "subscriptionId": 1, "occurredAt": 1,'
        b' "subscriptionType": "contact.creation"}]',
        b'[{"portalId": 1, "eventId": 1, "subscriptionId": 1, "occurredAt": 99999999999999999999,'
        b' "subscriptionType": "contact.creation"}]',
    ],
)  # fmt: skip
def test_malformed_hubspot_bodies(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        parse_hubspot(body)


@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_malformed(body: bytes) -> None:
    for parse in (parse_stripe, parse_hubspot):
        with contextlib.suppress(MalformedPayload):
            parse(body)


def test_nul_characters_are_scrubbed_from_the_stored_payload() -> None:
    body = b'{"id": "evt_1", "type": "x", "created": 1, "data": {"object": {"n": "a\\u0000b"}}}'
    parsed = parse_stripe(body)
    assert json.loads(parsed.payload)["data"]["object"]["n"] == "a\ufffdb"


@given(json_values)
def test_any_json_parses_or_raises_malformed(value: Any) -> None:
    body = json.dumps(value).encode()
    for parse in (parse_stripe, parse_hubspot):
        with contextlib.suppress(MalformedPayload):
            parse(body)
    with contextlib.suppress(MalformedPayload):
        parse_hubspot(json.dumps([value]).encode())


hubspot_events = st.fixed_dictionaries(
    {
        "eventId": st.integers(0, 2**62) | st.from_regex(r"[0-9]{1,18}", fullmatch=True),
        "subscriptionId": st.integers(0, 2**40),
        "portalId": st.integers(0, 2**40),
        "occurredAt": st.integers(0, 4_102_444_800_000),
        "subscriptionType": st.sampled_from(
            ["contact.creation", "contact.propertyChange", "contact.deletion", "object.creation"]
        ),
        "objectId": st.integers(0, 2**50),
        "attemptNumber": st.integers(0, 10),
    },
    optional={"propertyName": st.text(min_size=1, max_size=20), "propertyValue": st.text()},
)


@given(st.lists(hubspot_events, min_size=1, max_size=20))
def test_documented_hubspot_events_always_parse(events: list[dict[str, Any]]) -> None:
    parsed = parse_hubspot(json.dumps(events).encode())
    assert len(parsed) == len(events)
    for original, result in zip(events, parsed, strict=True):
        assert result.portal_id == str(original["portalId"])
        assert result.event.event_id == hubspot_event_id(original)
        assert json.loads(result.event.payload)["eventId"] == original["eventId"]
        assert "\\u0000" not in result.event.payload
