"""Parsing verified webhook bodies into inbox rows' fields. Malformed input raises, never 500s.

Stripe sends one event per request, identified by its ``evt_...`` id. HubSpot sends a JSON
array of events, possibly for several portals, and documents that ``eventId`` alone is not
guaranteed unique, so an event's identity here is a hash of every field that pins down the
change (see :func:`hubspot_event_id`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

MAX_HUBSPOT_EVENTS = 1000  # HubSpot sends at most 100; anything far above is not HubSpot
_MAX_ID = 255
#: Postgres jsonb cannot hold NUL characters: payloads with one are stored scrubbed (U+FFFD).
_NUL_ESCAPE = b"\\u0000"


class MalformedPayload(Exception):
    """The body is not the JSON shape the provider documents (answered 400)."""


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    event_id: str
    event_type: str
    object_id: str | None
    occurred_at: datetime | None
    payload: str  # the event as JSON text (stored as jsonb)


@dataclass(frozen=True, slots=True)
class HubSpotEvent:
    portal_id: str
    event: ParsedEvent


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedPayload("the body is not valid JSON") from None


def _scrub(value: Any) -> Any:
    """The value with NUL characters replaced (jsonb refuses them; raw_body keeps them)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_scrub(item) for item in value]
    if isinstance(value, dict):
        return {_scrub(key): _scrub(item) for key, item in value.items()}
    return value


def _json_text(value: Any) -> str:
    return orjson.dumps(_scrub(value)).decode("utf-8")


def _text(obj: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_ID:
        raise MalformedPayload(f"'{key}' should be a non-empty string")
    return value


def _integer(obj: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    """An id or time HubSpot documents as a number (digit strings are tolerated)."""
    value = obj.get(key)
    if value is None and not required:
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 19:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise MalformedPayload(f"'{key}' should be a non-negative integer")
    return value


def _instant(seconds: float) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedPayload("a timestamp is out of range") from None


def parse_stripe(body: bytes) -> ParsedEvent:
    """One Stripe event: ``id``, ``type``, ``created`` and ``data.object`` are required."""
    event = _loads(body)
    if not isinstance(event, dict):
        raise MalformedPayload("a Stripe event is a JSON object")
    event_id = _text(event, "id")
    event_type = _text(event, "type")
    created = _integer(event, "created")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedPayload("'data.object' should be an object")
    object_id = data["object"].get("id")
    assert event_id is not None and event_type is not None and created is not None
    return ParsedEvent(
        event_id=event_id,
        event_type=event_type,
        object_id=object_id if isinstance(object_id, str) and object_id else None,
        occurred_at=_instant(created),
        payload=_json_text(event) if _NUL_ESCAPE in body else body.decode("utf-8"),
    )


def hubspot_event_id(event: dict[str, Any]) -> str:
    """The dedupe key of a HubSpot event.

    ``eventId`` is documented as not unique on its own, so the key hashes everything that
    identifies one change: portal, subscription, event id, when, which object (and object
    type), what kind of change and which property. ``attemptNumber`` is left out on purpose:
    a retry of the same event carries a higher one and must collapse onto the first delivery.
    """
    parts = [
        event.get("portalId"),
        event.get("subscriptionId"),
        event.get("eventId"),
        event.get("occurredAt"),
        event.get("objectId"),
        event.get("objectTypeId"),
        event.get("subscriptionType") or event.get("eventType"),
        event.get("propertyName"),
    ]
    digest = hashlib.sha256(orjson.dumps([None if p is None else str(p) for p in parts]))
    return f"hs_{digest.hexdigest()}"


def _hubspot_event(event: Any) -> HubSpotEvent:
    if not isinstance(event, dict):
        raise MalformedPayload("each HubSpot event is a JSON object")
    portal = _integer(event, "portalId")
    _integer(event, "eventId")
    _integer(event, "subscriptionId")
    occurred = _integer(event, "occurredAt")
    object_id = _integer(event, "objectId", required=False)
    kind = event.get("subscriptionType", event.get("eventType"))
    if not isinstance(kind, str) or not kind or len(kind) > _MAX_ID:
        raise MalformedPayload("'subscriptionType' should be a non-empty string")
    _text(event, "propertyName", required=False)
    assert occurred is not None
    return HubSpotEvent(
        portal_id=str(portal),
        event=ParsedEvent(
            event_id=hubspot_event_id(event),
            event_type=kind,
            object_id=None if object_id is None else str(object_id),
            occurred_at=_instant(occurred / 1000),
            payload=_json_text(event),
        ),
    )


def parse_hubspot(body: bytes) -> list[HubSpotEvent]:
    """A HubSpot delivery: a non-empty JSON array of events."""
    events = _loads(body)
    if not isinstance(events, list) or not events:
        raise MalformedPayload("a HubSpot delivery is a non-empty JSON array")
    if len(events) > MAX_HUBSPOT_EVENTS:
        raise MalformedPayload(f"more than {MAX_HUBSPOT_EVENTS} events in one delivery")
    return [_hubspot_event(event) for event in events]
