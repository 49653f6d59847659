"""The shared infrastructure one process holds (database, token verifier, vault...).

Built once by the process's entry point and handed to whatever needs it, so nothing reaches
for a module global and tests build the real thing with test settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from temporalio.client import Client

from orion.platform.auth import JwksCache, TokenVerifier
from orion.platform.config import Settings
from orion.platform.crypto import Vault
from orion.platform.db import Database, PoolOptions, create_engine
from orion.platform.temporal_client import connect_temporal


@dataclass
class Resources:
    settings: Settings
    database: Database | None
    verifier: TokenVerifier
    vault: Vault
    http: httpx.AsyncClient
    temporal: Client | None = None

    async def close(self) -> None:
        if self.database is not None:
            await self.database.dispose()
        await self.http.aclose()


def pool_options(settings: Settings, application_name: str) -> PoolOptions:
    db = settings.database
    return PoolOptions(
        size=db.pool_size,
        max_overflow=db.max_overflow,
        timeout_seconds=db.pool_timeout_seconds,
        statement_timeout_ms=db.statement_timeout_ms,
        transaction_pooler=db.transaction_pooler,
        application_name=application_name,
    )


async def open_resources(settings: Settings, application_name: str) -> Resources:
    """Everything plus the (lazily connecting) Temporal client when an address is set."""
    resources = build_resources(settings, application_name)
    if settings.temporal.address:
        resources.temporal = await connect_temporal(
            settings.temporal, identity=f"{application_name}@{settings.release_id}"
        )
    return resources


def build_resources(settings: Settings, application_name: str) -> Resources:
    """The synchronous part: database pool, token verifier, vault, HTTP client."""
    http = httpx.AsyncClient(follow_redirects=False, timeout=10)
    supabase = settings.supabase
    jwks = JwksCache(supabase.jwks_url, http) if supabase.jwks_url else None
    verifier = TokenVerifier(
        hs256_secret=supabase.jwt_secret.get_secret_value() if supabase.jwt_secret else None,
        jwks=jwks,
        audience=supabase.jwt_audience,
        tenant_claim=supabase.tenant_claim,
    )
    database = None
    if settings.database.url is not None:
        engine = create_engine(
            settings.database.url.get_secret_value(), pool_options(settings, application_name)
        )
        database = Database(engine)
    vault = Vault([key.get_secret_value() for key in settings.encryption_keys])
    return Resources(settings, database, verifier, vault, http)
