"""The Temporal client for this process, from settings (dev server, or Temporal Cloud).

Temporal Cloud takes either an API key (TLS implied) or mTLS client certificate files. The
client connects lazily, so an API whose Temporal is briefly down still starts and reports
the outage through readiness instead of crash-looping.
"""

from __future__ import annotations

from temporalio.client import Client, TLSConfig
from temporalio.runtime import Runtime

from orion.platform.config import TemporalSettings


def tls_config(settings: TemporalSettings) -> TLSConfig | bool:
    if settings.tls_cert is not None and settings.tls_key is not None:
        return TLSConfig(
            client_cert=settings.tls_cert.read_bytes(),
            client_private_key=settings.tls_key.read_bytes(),
        )
    return settings.api_key is not None  # Temporal Cloud API keys always go over TLS


async def connect_temporal(
    settings: TemporalSettings,
    *,
    address: str | None = None,
    lazy: bool = True,
    runtime: Runtime | None = None,
    identity: str | None = None,
) -> Client:
    target = address or settings.address
    if not target:
        raise ValueError("TEMPORAL_ADDRESS is not set")
    return await Client.connect(
        target,
        namespace=settings.namespace,
        api_key=settings.api_key.get_secret_value() if settings.api_key else None,
        tls=tls_config(settings),
        lazy=lazy,
        runtime=runtime,
        identity=identity,
    )
