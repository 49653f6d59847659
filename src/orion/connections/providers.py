"""Building a connector for a stored connection from this process's settings."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from orion.connectors.base import Connector
from orion.connectors.config import ConnectorConfig
from orion.connectors.registry import build_connector
from orion.platform.config import Settings
from orion.records.unified import Provider


class ConnectorFactory:
    """Knows where each provider is (real API or the emulator) and shares one HTTP pool."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self._bases = {
            Provider.STRIPE: settings.stripe.api_base,
            Provider.HUBSPOT: settings.hubspot.api_base,
        }
        self._http = http

    def build(self, provider: Provider, credential: SecretStr) -> Connector:
        config = ConnectorConfig(
            credential=credential, base_url=self._bases[provider], http_client=self._http
        )
        return build_connector(provider, config)
