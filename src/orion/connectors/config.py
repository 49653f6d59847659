"""What a connector factory needs: the credential, where the provider is, and how to reach it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr


def utc_now() -> datetime:
    return datetime.now(UTC)


class ConnectorConfig(BaseModel):
    """Typed configuration for one provider account, built by the caller from its settings.

    ``http_client`` lets a worker share one connection pool between connectors; a connector
    never closes a client it was given, and never follows redirects whatever the client's own
    setting. ``base_url`` of ``None`` means the provider's public API.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    credential: SecretStr
    base_url: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    http_client: httpx.AsyncClient | None = None
    # The wall clock, injectable so tests can age a cursor without waiting.
    clock: Callable[[], datetime] = utc_now

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout_seconds, connect=self.connect_timeout_seconds)

    def client(self) -> tuple[httpx.AsyncClient, bool]:
        """The client to use and whether the connector owns (and must close) it."""
        if self.http_client is not None:
            return self.http_client, False
        return httpx.AsyncClient(timeout=self.timeout(), follow_redirects=False), True
