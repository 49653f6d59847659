"""The current request's id, readable from anywhere in the request's task."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

_REQUEST_ID: ContextVar[str | None] = ContextVar("orion_request_id", default=None)
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def current_request_id() -> str | None:
    return _REQUEST_ID.get()


def accept_request_id(offered: str | None) -> str:
    """A caller's id if it is safe to echo and log, else a fresh one."""
    if offered and _VALID_REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


def set_request_id(request_id: str | None) -> object:
    return _REQUEST_ID.set(request_id)
