"""The current request's id, readable from anywhere in the request's task."""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

_REQUEST_ID: ContextVar[str | None] = ContextVar("orion_request_id", default=None)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


def accept_request_id(offered: str | None) -> str:
    """A caller's id if it is safe to echo and log, else a fresh one (128 random bits)."""
    if offered and _VALID_REQUEST_ID.match(offered):
        return offered
    return os.urandom(16).hex()  # what uuid4().hex is, without the UUID object (5x cheaper)


def set_request_id(request_id: str | None) -> object:
    return _REQUEST_ID.set(request_id)


def header(scope: MutableMapping[str, Any], name: bytes) -> str | None:
    """One request header (``name`` lower case) without building a ``Headers`` object."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
