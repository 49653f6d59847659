"""``GET /api/v1/activity``: the overview's charts in one tenant-scoped request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from orion.activity import repository
from orion.activity.schemas import (
    Activity,
    SyncActivity,
    SyncBucket,
    WebhookActivity,
    WebhookBucket,
)
from orion.platform.dependencies import TenantSession

router = APIRouter(prefix="/api/v1", tags=["activity"])
BUCKETS = 24


def window(hours: int, now: datetime) -> tuple[datetime, timedelta]:
    """The window's first bucket start and the bucket width: ``BUCKETS`` buckets that end
    with the one holding ``now``, aligned to whole multiples of the width since the epoch so
    a chart does not shift between two reads a second apart."""
    step = timedelta(seconds=hours * 3600 // BUCKETS)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    current = epoch + ((now - epoch) // step) * step
    return current - step * (BUCKETS - 1), step


@router.get("/activity", summary="Sync and webhook activity over a window, for charts")
async def activity(
    session: TenantSession,
    hours: Annotated[int, Query(ge=1, le=168, description="Window length in hours.")] = 24,
) -> Activity:
    origin, step = window(hours, datetime.now(UTC))
    syncs = await repository.sync_buckets(session, origin, step)
    hooks = await repository.webhook_buckets(session, origin, step)
    starts = [origin + step * i for i in range(BUCKETS)]
    return Activity(
        since=origin,
        bucket_seconds=int(step.total_seconds()),
        connections=await repository.connection_statuses(session),
        sync=SyncActivity(
            buckets=[SyncBucket(start=s, **_sync(syncs.get(s, (0, 0, 0)))) for s in starts],
            by_status=await repository.sync_statuses(session, origin),
            running=await repository.running_syncs(session),
        ),
        webhooks=WebhookActivity(
            buckets=[WebhookBucket(start=s, **_hooks(hooks.get(s, (0, 0)))) for s in starts],
            by_status=await repository.webhook_statuses(session, origin),
            dead_total=await repository.dead_webhooks(session),
        ),
    )


def _sync(counts: tuple[int, int, int]) -> dict[str, int]:
    return dict(zip(("runs", "failed", "records"), counts, strict=True))


def _hooks(counts: tuple[int, int]) -> dict[str, int]:
    return dict(zip(("received", "dead"), counts, strict=True))
