"""What the change triggers (migration 0003) send on the ``orion_live`` channel.

A payload names a tenant, a kind, an operation, at most 20 ids and a count; never row data.
Subscribers get it without the tenant and re-read through the tenant-isolated API.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

CHANNEL = "orion_live"
KINDS = frozenset({"connection", "sync_run", "webhook_event"})
OPERATIONS = frozenset({"insert", "update", "delete"})


@dataclass(frozen=True)
class Change:
    tenant_id: uuid.UUID
    kind: str
    op: str
    ids: tuple[str, ...]
    count: int

    def public(self) -> dict[str, Any]:
        """The event a subscriber of the tenant sees (the tenant is implied by the stream)."""
        return {"kind": self.kind, "op": self.op, "ids": list(self.ids), "count": self.count}


def parse_change(payload: str) -> Change | None:
    """The change in a notification, or ``None`` for anything malformed (never raises)."""
    try:
        body = json.loads(payload)
        tenant_id = uuid.UUID(str(body["tenant"]))
        kind, op = str(body["kind"]), str(body["op"])
        ids = tuple(str(uuid.UUID(str(i))) for i in body.get("ids") or ())
        count = int(body.get("count", len(ids)))
    except (ValueError, TypeError, KeyError):
        return None
    if kind not in KINDS or op not in OPERATIONS:
        return None
    return Change(tenant_id, kind, op, ids, count)
