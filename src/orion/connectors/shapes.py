"""Typed reads of provider JSON that fail as ``Permanent``, never as ``KeyError``/``TypeError``.

Provider answers are untrusted input: a field of the wrong type or a body that is not JSON must
become a classified error naming the field that was wrong (never a personal value), so a
sync stops cleanly instead of crashing a worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from orion.connectors.errors import Permanent

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(when: datetime) -> int:
    """Exact Unix milliseconds (no float rounding: search positions compare them exactly)."""
    return (when - EPOCH) // timedelta(milliseconds=1)


def parse_json(body: bytes | str, where: str) -> Any:
    """Decode a response body, classifying anything that is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Permanent(f"{where}: the answer is not valid JSON.") from None


def as_dict(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Permanent(f"{where}: expected an object, got {type(value).__name__}.")
    return value


def as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise Permanent(f"{where}: expected a list, got {type(value).__name__}.")
    return value


def opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    """A string field; absent, null or blank all mean "not given"."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Permanent(f"{where}: '{key}' should be a string, got {type(value).__name__}.")
    return value if value.strip() else None


def req_str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = opt_str(obj, key, where)
    if value is None:
        raise Permanent(f"{where}: '{key}' is missing.")
    return value


def opt_int(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Permanent(f"{where}: '{key}' should be an integer, got {type(value).__name__}.")
    return value


def req_int(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = opt_int(obj, key, where)
    if value is None:
        raise Permanent(f"{where}: '{key}' is missing.")
    return value


def opt_dict(obj: Mapping[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = obj.get(key)
    return None if value is None else as_dict(value, f"{where} '{key}'")


def from_epoch(seconds: int, where: str) -> datetime:
    """Unix seconds (Stripe's timestamps) as an aware UTC datetime."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise Permanent(f"{where}: timestamp {seconds} is out of range.") from None


def opt_epoch(obj: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = opt_int(obj, key, where)
    return None if value is None else from_epoch(value, where)


def parse_instant(text: str, where: str) -> datetime:
    """HubSpot time values: ISO-8601 (``...Z``), a date, or epoch milliseconds, as UTC."""
    value = text.strip()
    try:
        if value.isdigit():
            return EPOCH + timedelta(milliseconds=int(value))
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise Permanent(f"{where}: '{value[:40]}' is not a timestamp.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
