"""Aggregates over sync_runs, webhook_events and connections, inside a tenant transaction.

RLS scopes every query to the caller's tenant; the indexes on (tenant_id, started_at) and
(tenant_id, received_at) keep a window cheap. Buckets come from ``date_bin`` (Postgres 14+).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from orion.connections.models import connections
from orion.sync.models import sync_runs
from orion.webhooks.models import webhook_events


def _bucket(column: Any, step: timedelta, origin: datetime) -> ColumnElement[datetime]:
    return func.date_bin(step, column, origin).label("bucket")


async def _counts(session: AsyncSession, query: Select[Any]) -> dict[str, int]:
    return {str(status): int(n) for status, n in (await session.execute(query)).all()}


async def sync_buckets(
    session: AsyncSession, origin: datetime, step: timedelta
) -> dict[datetime, tuple[int, int, int]]:
    bucket = _bucket(sync_runs.c.started_at, step, origin)
    query = (
        select(
            bucket,
            func.count(),
            func.count().filter(sync_runs.c.status == "failed"),
            func.coalesce(func.sum(sync_runs.c.records_upserted), 0),
        )
        .where(sync_runs.c.started_at >= origin)
        .group_by(bucket)
    )
    rows = (await session.execute(query)).all()
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in rows}


async def webhook_buckets(
    session: AsyncSession, origin: datetime, step: timedelta
) -> dict[datetime, tuple[int, int]]:
    bucket = _bucket(webhook_events.c.received_at, step, origin)
    query = (
        select(bucket, func.count(), func.count().filter(webhook_events.c.status == "dead"))
        .where(webhook_events.c.received_at >= origin)
        .group_by(bucket)
    )
    rows = (await session.execute(query)).all()
    return {row[0]: (int(row[1]), int(row[2])) for row in rows}


async def sync_statuses(session: AsyncSession, origin: datetime) -> dict[str, int]:
    return await _counts(
        session,
        select(sync_runs.c.status, func.count())
        .where(sync_runs.c.started_at >= origin)
        .group_by(sync_runs.c.status),
    )


async def running_syncs(session: AsyncSession) -> int:
    query = select(func.count()).where(sync_runs.c.status == "running")
    return int(await session.scalar(query) or 0)


async def webhook_statuses(session: AsyncSession, origin: datetime) -> dict[str, int]:
    return await _counts(
        session,
        select(webhook_events.c.status, func.count())
        .where(webhook_events.c.received_at >= origin)
        .group_by(webhook_events.c.status),
    )


async def dead_webhooks(session: AsyncSession) -> int:
    query = select(func.count()).where(webhook_events.c.status == "dead")
    return int(await session.scalar(query) or 0)


async def connection_statuses(session: AsyncSession) -> dict[str, int]:
    return await _counts(
        session, select(connections.c.status, func.count()).group_by(connections.c.status)
    )
