"""Webhook fixtures: the whole stack with the app's lifespan running (inbox, dispatcher)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest

from orion.emulator.server import EmulatorServer
from orion.platform.config import Settings
from orion.platform.temporal_dev import TemporalDevServer
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.settings import SettingsFactory
from tests.fixtures.stack import Stack, running_stack, stack_settings
from tests.webhooks.helpers import HUBSPOT_SECRET, lifespan

#: Settings every webhook test shares: no rate limits (tests send bursts), a known HubSpot app
#: secret, and a relay that takes over after one second.
WEBHOOK_SETTINGS = {
    "RATELIMIT_ENABLED": "false",
    "HUBSPOT_CLIENT_SECRET": HUBSPOT_SECRET,
    "WEBHOOKS_RELAY_DELAY_SECONDS": "1",
    "WEBHOOKS_RELAY_INTERVAL_SECONDS": "0.5",
}

StackFactory = Callable[..., AbstractAsyncContextManager[Stack]]


@pytest.fixture
def webhook_stack(
    settings_factory: SettingsFactory,
    shared_database: TestDatabase,
    temporal_server: TemporalDevServer,
    emulator: EmulatorServer,
) -> StackFactory:
    """``async with webhook_stack(**SETTINGS) as stack``: API (lifespan on) + in-process worker."""

    def build(*, worker: bool = True, **extra: str) -> AbstractAsyncContextManager[Stack]:
        settings = stack_settings(
            settings_factory,
            shared_database,
            temporal_server,
            emulator,
            **{**WEBHOOK_SETTINGS, **extra},
        )
        return _started(settings, worker)

    return build


@asynccontextmanager
async def _started(settings: Settings, worker: bool) -> AsyncIterator[Stack]:
    async with running_stack(settings, worker=worker) as stack, lifespan(stack):
        yield stack


@pytest.fixture
async def hooks(webhook_stack: StackFactory) -> AsyncIterator[Stack]:
    """The default webhook stack."""
    async with webhook_stack() as stack:
        yield stack
