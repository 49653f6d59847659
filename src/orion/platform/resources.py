"""The shared infrastructure one process holds (database, token verifier, vault...).

Built once by the process's entry point and handed to whatever needs it, so nothing reaches
for a module global and tests build the real thing with test settings.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from temporalio.client import Client

from orion.platform.auth import JwksCache, TokenVerifier
from orion.platform.config import Settings
from orion.platform.crypto import Vault
from orion.platform.db import Database, PoolOptions, create_engine
from orion.platform.metrics import VaultMetrics
from orion.platform.temporal_client import connect_temporal


@dataclass
class Resources:
    settings: Settings
    database: Database | None
    verifier: TokenVerifier
    vault: Vault
    http: httpx.AsyncClient
    temporal: Client | None = None
    redis: Redis | None = None

    async def close(self) -> None:
        if self.database is not None:
            await self.database.dispose()
        if self.redis is not None:
            await self.redis.aclose()
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


def redis_client(url: str, timeout_seconds: float) -> Redis:
    """A Redis client that fails fast: no retries (redis-py retries 10 times by default)."""
    return Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        retry=Retry(NoBackoff(), 0),
    )


async def open_resources(
    settings: Settings, application_name: str, *, registry: CollectorRegistry | None = None
) -> Resources:
    """Everything plus the (lazily connecting) Temporal client when an address is set."""
    resources = build_resources(settings, application_name, registry=registry)
    if settings.temporal.address:
        resources.temporal = await connect_temporal(
            settings.temporal, identity=f"{application_name}@{settings.release_id}"
        )
    return resources


def build_resources(
    settings: Settings, application_name: str, *, registry: CollectorRegistry | None = None
) -> Resources:
    """The synchronous part: database pool, token verifier, vault, HTTP and Redis clients.

    With a ``registry``, vault operations are counted on it.
    """
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
    keys = [key.get_secret_value() for key in settings.encryption_keys]
    vault = Vault(keys, metrics=VaultMetrics(registry) if registry is not None else None)
    resources = Resources(settings, database, verifier, vault, http)
    if settings.redis.url is not None:
        resources.redis = redis_client(
            settings.redis.url.get_secret_value(), settings.health.timeout_seconds
        )
    return resources
