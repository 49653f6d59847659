"""FastAPI dependencies for the shared resources: who is calling, and their transaction.

``TenantSession`` opens the request's one transaction, scoped to the caller's tenant by RLS,
and commits it *before* the response is sent (``scope="function"``): a client never sees a
success for work that was not committed. Services only flush.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import structlog
from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from orion.platform.auth import AuthError, Principal
from orion.platform.db import Database
from orion.platform.errors import ServiceUnavailable
from orion.platform.resources import Resources


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


def get_database(resources: Annotated[Resources, Depends(get_resources)]) -> Database:
    if resources.database is None:
        raise ServiceUnavailable("The database is not configured.")
    return resources.database


async def get_principal(
    request: Request,
    resources: Annotated[Resources, Depends(get_resources)],
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    verified = getattr(request.state, "principal", None)  # the rate limiter checked it already
    if isinstance(verified, Principal):
        principal = verified
    elif not authorization or not authorization.lower().startswith("bearer "):
        raise AuthError()
    else:
        principal = await resources.verifier.verify(authorization[7:].strip())
    structlog.contextvars.bind_contextvars(tenant_id=str(principal.tenant_id))
    return principal


async def tenant_session(
    principal: Annotated[Principal, Depends(get_principal)],
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    async with database.tenant_transaction(principal.tenant_id) as session:
        yield session


ResourcesDep = Annotated[Resources, Depends(get_resources)]
DatabaseDep = Annotated[Database, Depends(get_database)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]
