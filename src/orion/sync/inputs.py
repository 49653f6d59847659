"""One input and one result type per workflow and activity, so signatures can grow safely.

Plain dataclasses with primitive fields: Temporal serialises them into workflow histories,
and old histories must keep deserialising after fields are added (always with defaults).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TASK_QUEUE = "orion"
KINDS = ("customer", "invoice")


def sync_workflow_id(connection_id: str) -> str:
    """One id per connection: Temporal refuses a second concurrent sync of it."""
    return f"sync-{connection_id}"


def schedule_id(connection_id: str) -> str:
    return f"sync-schedule-{connection_id}"


@dataclass
class SyncInput:
    tenant_id: str
    connection_id: str
    trigger: str = "schedule"  # schedule | manual
    run_id: str | None = None  # set when continuing as new
    kind_index: int = 0
    kinds: list[str] = field(default_factory=lambda: list(KINDS))
    pages_per_run: int = 100  # continue-as-new after this many pages


@dataclass
class SyncOutcome:
    run_id: str
    status: str  # completed | stopped
    pages: int = 0


@dataclass
class StartRunInput:
    tenant_id: str
    connection_id: str
    workflow_id: str
    trigger: str


@dataclass
class PageInput:
    tenant_id: str
    connection_id: str
    run_id: str
    kind: str


@dataclass
class PageResult:
    has_more: bool
    records: int = 0
    deleted: int = 0
    gap: bool = False
    stopped: str | None = None  # why the sync must stop (connection paused, gone, ...)
    retry_after_seconds: float | None = None  # wait this long before the next page


@dataclass
class FinishRunInput:
    tenant_id: str
    connection_id: str
    run_id: str
    status: str  # completed | failed | cancelled
    error: str | None = None


@dataclass
class ScheduledSyncInput:
    tenant_id: str
    connection_id: str
