"""Which tenant and secrets a delivery belongs to, cached in memory for a few seconds.

A webhook arrives before anyone is signed in, so the tenant comes from the narrow SECURITY
DEFINER doors of the schema (``orion_connection_tenant``, ``orion_connections_for_account``);
the Stripe signing secrets are then read inside that tenant's transaction and decrypted.
Doing that per request would cost a database round trip and a Fernet decrypt on the hot path,
so answers are kept for ``ttl`` seconds. Unknown connections are never cached (a connection
created a moment ago must route at once), and a signature failure re-reads the secrets once
before refusing (they may just have been rotated).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import orjson
from sqlalchemy import text

from orion.platform.crypto import Vault
from orion.platform.db import Database

K = TypeVar("K")
V = TypeVar("V")

_CONNECTION_TENANT = text("SELECT orion_connection_tenant(:id)")
_SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")
_SECRETS = text("SELECT provider, webhook_secrets FROM connections WHERE id = :id")
_ACCOUNT = text(
    "SELECT connection_id, tenant_id FROM orion_connections_for_account(:provider, :account)"
)


@dataclass(frozen=True)
class StripeEndpoint:
    connection_id: uuid.UUID
    tenant_id: uuid.UUID
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    connection_id: uuid.UUID
    tenant_id: uuid.UUID


class _TtlCache(Generic[K, V]):
    """Positive answers for ``ttl`` seconds; concurrent misses of one key share one load."""

    def __init__(self, ttl: float) -> None:
        self._ttl = ttl
        self._entries: dict[K, tuple[float, V]] = {}
        self._loading: dict[K, asyncio.Future[V | None]] = {}

    async def get(self, key: K, load: Callable[[], Awaitable[V | None]]) -> V | None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        pending = self._loading.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[V | None] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody must log it
            raise
        except BaseException:
            future.cancel()
            raise
        else:
            future.set_result(value)
        finally:
            del self._loading[key]
        if value is not None and self._ttl > 0:
            self._entries[key] = (time.monotonic() + self._ttl, value)
        return value

    def forget(self, key: K) -> None:
        self._entries.pop(key, None)


class ConnectionDirectory:
    def __init__(self, database: Database, vault: Vault, *, ttl: float) -> None:
        self._db = database
        self._vault = vault
        self._stripe: _TtlCache[uuid.UUID, StripeEndpoint] = _TtlCache(ttl)
        self._hubspot: _TtlCache[str, tuple[Route, ...]] = _TtlCache(ttl)

    async def stripe(
        self, connection_id: uuid.UUID, *, fresh: bool = False
    ) -> StripeEndpoint | None:
        """The Stripe connection's tenant and signing secrets; ``None`` if there is none."""
        if fresh:
            self._stripe.forget(connection_id)
        return await self._stripe.get(connection_id, lambda: self._load_stripe(connection_id))

    async def hubspot(self, portal_id: str) -> tuple[Route, ...]:
        """Every connection (of any tenant) to this HubSpot portal."""
        routes = await self._hubspot.get(portal_id, lambda: self._load_hubspot(portal_id))
        return routes or ()

    async def _load_stripe(self, connection_id: uuid.UUID) -> StripeEndpoint | None:
        async with self._db.system_transaction() as session:
            tenant = await session.scalar(_CONNECTION_TENANT, {"id": connection_id})
            if tenant is None:
                return None
            await session.execute(_SET_TENANT, {"tenant": str(tenant)})
            row = (await session.execute(_SECRETS, {"id": connection_id})).first()
        if row is None or row.provider != "stripe":
            return None
        secrets: tuple[str, ...] = ()
        if row.webhook_secrets is not None:
            opened = orjson.loads(self._vault.open(row.webhook_secrets))
            secrets = tuple(value for value in opened if isinstance(value, str) and value)
        return StripeEndpoint(connection_id, tenant, secrets)

    async def _load_hubspot(self, portal_id: str) -> tuple[Route, ...] | None:
        async with self._db.system_transaction() as session:
            rows = (
                await session.execute(_ACCOUNT, {"provider": "hubspot", "account": portal_id})
            ).all()
        routes = tuple(Route(row.connection_id, row.tenant_id) for row in rows)
        return routes or None
