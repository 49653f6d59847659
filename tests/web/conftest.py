"""Dashboard fixtures: a real API on a socket with the test services behind it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from orion.emulator.server import EmulatorServer
from orion.platform.config import Settings
from orion.platform.temporal_dev import TemporalDevServer
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.services import service_unavailable
from tests.fixtures.settings import SettingsFactory
from tests.fixtures.stack import stack_settings
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOT_DIR
from tests.web.server import ApiServer, running_api

HUBSPOT_SECRET = "web-test-hubspot-app-secret"


@pytest.fixture
def web_settings(
    settings_factory: SettingsFactory,
    shared_database: TestDatabase,
    temporal_server: TemporalDevServer,
    emulator: EmulatorServer,
) -> Settings:
    """No rate limits (a browser bursts), one webhook attempt (dead at once), a known
    HubSpot app secret (the emulator signs deliveries with it)."""
    return stack_settings(
        settings_factory,
        shared_database,
        temporal_server,
        emulator,
        RATELIMIT_ENABLED="false",
        WEBHOOKS_MAX_ATTEMPTS="1",
        HUBSPOT_CLIENT_SECRET=HUBSPOT_SECRET,
    )


@pytest.fixture
def api_server(web_settings: Settings) -> Iterator[ApiServer]:
    """API + worker, served on 127.0.0.1 at a port the OS picked."""
    with running_api(web_settings) as server:
        yield server


@pytest.fixture
def stream_server(web_settings: Settings) -> Iterator[ApiServer]:
    """The API alone (event-stream tests write their rows themselves)."""
    with running_api(web_settings, worker=False) as server:
        yield server


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_unavailable("Chromium", f"{CHROMIUM} is missing (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    if os.environ.get("ORION_UPDATE_SCREENSHOTS", "") not in ("", "0"):
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        return SCREENSHOT_DIR
    return tmp_path
