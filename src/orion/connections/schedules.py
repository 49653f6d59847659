"""What the connections domain needs from the sync scheduler (implemented in ``sync``)."""

from __future__ import annotations

import uuid
from typing import Protocol


class SyncSchedules(Protocol):
    async def ensure(
        self, tenant_id: uuid.UUID, connection_id: uuid.UUID, interval_seconds: int, paused: bool
    ) -> None:
        """Create or update the connection's schedule (idempotent)."""
        ...

    async def remove(self, connection_id: uuid.UUID) -> None:
        """Delete the connection's schedule if it exists."""
        ...
