"""``GET /api/v1/me``: who the bearer token says the caller is (the dashboard's sign-in check)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from orion.platform.dependencies import CurrentPrincipal

router = APIRouter(prefix="/api/v1", tags=["session"])


class Me(BaseModel):
    subject: str
    tenant_id: str


@router.get("/me", summary="The signed-in caller")
async def me(principal: CurrentPrincipal) -> Me:
    return Me(subject=principal.subject, tenant_id=str(principal.tenant_id))
