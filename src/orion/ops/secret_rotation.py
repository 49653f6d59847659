"""Re-encrypt every stored secret under the primary key, in batches, resumably.

Runs as the schema owner (it spans all tenants). Each batch is its own transaction and only
picks rows not yet on the primary key, so an interrupted run is resumed by running it again.
Rows no key can open are reported by id and left untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from orion.connections.models import connections
from orion.platform.crypto import Vault, VaultError


@dataclass
class RotationReport:
    before: dict[str, int]
    after: dict[str, int] = field(default_factory=dict)
    rotated: int = 0
    undecryptable: list[UUID] = field(default_factory=list)


async def key_usage(engine: AsyncEngine) -> dict[str, int]:
    """How many stored secrets each key id protects (credentials and webhook secrets)."""
    usage: Counter[str] = Counter()
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(connections.c.credentials_key_id, connections.c.webhook_secrets_key_id)
        )
        for credentials_key, webhook_key in rows:
            usage[credentials_key] += 1
            if webhook_key:
                usage[webhook_key] += 1
    return dict(usage)


async def count_pending(engine: AsyncEngine, primary: str) -> int:
    """Rows that still hold a secret written by a key other than ``primary``."""
    async with engine.connect() as connection:
        pending = await connection.scalar(
            select(func.count()).select_from(connections).where(_not_on(primary))
        )
    return int(pending or 0)


def _not_on(primary: str) -> ColumnElement[bool]:
    return or_(
        connections.c.credentials_key_id != primary,
        (connections.c.webhook_secrets.is_not(None))
        & (connections.c.webhook_secrets_key_id != primary),
    )


async def rotate(
    engine: AsyncEngine,
    vault: Vault,
    *,
    batch_size: int = 200,
    on_batch: Callable[[int], None] | None = None,
) -> RotationReport:
    report = RotationReport(before=await key_usage(engine))
    primary = vault.primary_key_id
    skipped: set[UUID] = set()
    while True:
        async with engine.begin() as connection:
            rows = (
                await connection.execute(
                    select(
                        connections.c.id,
                        connections.c.credentials,
                        connections.c.credentials_key_id,
                        connections.c.webhook_secrets,
                        connections.c.webhook_secrets_key_id,
                    )
                    .where(_not_on(primary), connections.c.id.not_in(skipped or {UUID(int=0)}))
                    .order_by(connections.c.id)
                    .limit(batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                break
            done = 0
            for row in rows:
                try:
                    values = _resealed(vault, row, primary)
                except VaultError:
                    skipped.add(row.id)
                    report.undecryptable.append(row.id)
                    continue
                await connection.execute(
                    update(connections).where(connections.c.id == row.id).values(**values)
                )
                done += 1
        report.rotated += done
        if on_batch is not None:
            on_batch(done)
    report.after = await key_usage(engine)
    return report


def _resealed(vault: Vault, row: Row[Any, Any, Any, Any, Any], primary: str) -> dict[str, object]:
    values: dict[str, object] = {}
    if row.credentials_key_id != primary:
        sealed = vault.reseal(row.credentials)
        values.update(credentials=sealed.token, credentials_key_id=sealed.key_id)
    if row.webhook_secrets is not None and row.webhook_secrets_key_id != primary:
        sealed = vault.reseal(row.webhook_secrets)
        values.update(webhook_secrets=sealed.token, webhook_secrets_key_id=sealed.key_id)
    return values
