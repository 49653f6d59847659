"""Tenant rows and audit entries. Runs inside the caller's tenant transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from orion.platform.request_context import current_request_id
from orion.tenants.models import audit_log, tenants


async def create_tenant(session: AsyncSession, tenant_id: uuid.UUID, name: str) -> None:
    """Insert the tenant the transaction is scoped to (RLS allows no other)."""
    await session.execute(insert(tenants).values(id=tenant_id, name=name))


async def tenant_exists(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    found = await session.scalar(select(tenants.c.id).where(tenants.c.id == tenant_id))
    return found is not None


async def record_audit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    actor: str,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    await session.execute(
        insert(audit_log).values(
            tenant_id=tenant_id,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details or {},
            request_id=current_request_id(),
        )
    )
