"""Cursors are opaque to callers: versioned JSON that only the connector that wrote it reads."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from orion.connectors.errors import Permanent
from orion.records.unified import Kind

T = TypeVar("T")


def encode(state: BaseModel) -> str:
    return state.model_dump_json(exclude_none=True)


def decode(text: str, adapter: TypeAdapter[T], kind: Kind, provider: str) -> T:
    """Read a stored cursor; a foreign, corrupt or other-kind cursor is a ``Permanent`` error."""
    try:
        state = adapter.validate_json(text)
    except ValidationError:
        raise Permanent(
            f"The stored {provider} sync cursor cannot be read; reset it to run a full sync."
        ) from None
    if getattr(state, "kind", None) != kind:
        raise Permanent(f"The stored {provider} sync cursor belongs to another record kind.")
    return state
