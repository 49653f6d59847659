"""Opaque keyset cursors: clients pass them back unchanged, we never offset-scan."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel

from orion.platform.errors import Unprocessable

T = TypeVar("T")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = None


def encode_cursor(position: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([position.isoformat(), str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(position), uuid.UUID(row_id)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise Unprocessable("The cursor is not valid; pass next_cursor back unchanged.") from None
