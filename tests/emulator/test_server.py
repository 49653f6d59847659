"""The server wrapper: free ports, sync and async lifecycles, demo default state."""

from __future__ import annotations

import httpx
import pytest

from orion.emulator.server import EmulatorServer
from orion.emulator.state import DEMO_HUBSPOT_ACCESS_TOKEN, DEMO_STRIPE_API_KEY, EmulatorState


def test_sync_lifecycle_frees_the_port() -> None:
    with EmulatorServer(EmulatorState()) as server:
        url = server.url
        assert server.port != 0
        assert httpx.get(f"{url}/_emulator/health").status_code == 200

    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_emulator/health")
    with pytest.raises(RuntimeError):
        _ = server.url


async def test_async_lifecycle_and_demo_state() -> None:
    async with EmulatorServer() as server, httpx.AsyncClient(base_url=server.url) as client:
        account = await client.get(
            "/v1/account", headers={"Authorization": f"Bearer {DEMO_STRIPE_API_KEY}"}
        )
        contacts = await client.get(
            "/crm/v3/objects/contacts",
            headers={"Authorization": f"Bearer {DEMO_HUBSPOT_ACCESS_TOKEN}"},
        )

    assert account.status_code == 200
    assert account.json()["settings"]["dashboard"]["display_name"] == "Orion Demo"
    assert contacts.status_code == 200
    assert len(contacts.json()["results"]) == 10


def test_two_servers_run_side_by_side() -> None:
    with EmulatorServer(EmulatorState()) as one, EmulatorServer(EmulatorState()) as two:
        assert one.port != two.port
        assert httpx.get(f"{two.url}/_emulator/health").json() == {"status": "ok"}


def test_start_twice_is_an_error() -> None:
    server = EmulatorServer(EmulatorState()).start()
    try:
        with pytest.raises(RuntimeError):
            server.start()
    finally:
        server.stop()
