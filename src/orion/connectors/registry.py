"""Which factory builds the connector of each provider: an explicit dict, no name lookups."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from orion.connectors.base import Connector
from orion.connectors.config import ConnectorConfig
from orion.connectors.hubspot.connector import build_hubspot_connector
from orion.connectors.stripe.connector import build_stripe_connector
from orion.records.unified import Provider

ConnectorFactory = Callable[[ConnectorConfig], Connector]

FACTORIES: Mapping[Provider, ConnectorFactory] = MappingProxyType(
    {
        Provider.STRIPE: build_stripe_connector,
        Provider.HUBSPOT: build_hubspot_connector,
    }
)


def build_connector(provider: Provider, config: ConnectorConfig) -> Connector:
    """The connector for ``provider``'s account described by ``config``."""
    return FACTORIES[provider](config)
