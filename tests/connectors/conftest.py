"""Shared fixtures of the connector integration tests (the emulator fixtures are global)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """One pool per test, shared by its connectors like a worker shares one."""
    async with httpx.AsyncClient() as client:
        yield client
