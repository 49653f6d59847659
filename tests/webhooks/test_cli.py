"""``orion webhooks reconcile`` and ``orion webhooks replay`` as an operator runs them."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import pytest
from click.testing import Result
from typer.testing import CliRunner

from orion.emulator.churn import ChurnSpec
from orion.emulator.faults import FaultRule
from orion.entrypoints.cli import app
from orion.platform.config import Settings, get_settings
from orion.records.unified import Provider
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack
from tests.webhooks.conftest import StackFactory
from tests.webhooks.helpers import (
    add_connection,
    new_tenant,
    post_hubspot,
    post_stripe,
    rendered,
    stripe_connection,
    wait_until_settled,
)

runner = CliRunner()


@pytest.fixture
def cli_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def use(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads its settings from the environment, as in a shell."""
    assert settings.database.url is not None and settings.temporal.address is not None
    monkeypatch.setenv("ORION_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", settings.database.url.get_secret_value())
    monkeypatch.setenv("TEMPORAL_ADDRESS", settings.temporal.address)
    monkeypatch.setenv("TEMPORAL_TASK_QUEUE", settings.temporal.task_queue)
    monkeypatch.setenv("STRIPE_API_BASE", settings.stripe.api_base)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    get_settings.cache_clear()


async def orion(*args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, app, list(args))


async def test_reconcile_stores_only_what_never_arrived(
    hooks: Stack,
    emulator_accounts: EmulatorAccounts,
    monkeypatch: pytest.MonkeyPatch,
    cli_environment: None,
) -> None:
    account = emulator_accounts.stripe(customers=4, seed=41)
    tenant, connection = await stripe_connection(hooks, account)
    since = int(time.time()) - 5
    churn = emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(update=3, create=2)
    )
    events = rendered(account, [e.id for e in churn.events])
    for event in events[:2]:  # the rest "never arrived"
        assert (await post_stripe(hooks.api, connection, event, account.webhook_secret)).is_success
    await wait_until_settled(hooks.database, tenant, connection, 2)
    use(hooks.settings, monkeypatch)

    first = await orion("webhooks", "reconcile", "--connection", str(connection),
                        "--since", str(since))  # fmt: skip
    again = await orion("webhooks", "reconcile", "--connection", str(connection),
                        "--since", str(since))  # fmt: skip

    assert first.exit_code == 0, first.output
    found = len(events)
    assert f"found {found}, already present 2, added {found - 2}" in first.output
    assert f"found {found}, already present {found}, added 0" in again.output
    rows = await wait_until_settled(hooks.database, tenant, connection, found)
    assert {row.event_id for row in rows} == {e["id"] for e in events}
    customers = await hooks.records(tenant, str(connection), "customer")
    assert {e["data"]["object"]["id"] for e in events} <= set(customers)


async def test_reconcile_refuses_hubspot_and_unknown_connections(
    hooks: Stack,
    emulator_accounts: EmulatorAccounts,
    monkeypatch: pytest.MonkeyPatch,
    cli_environment: None,
) -> None:
    portal = emulator_accounts.hubspot(contacts=1, seed=42)
    tenant = await new_tenant(hooks.database)
    connection = await add_connection(
        hooks.database, hooks.resources.vault, tenant, provider="hubspot",
        account=str(portal.portal_id), credential=portal.access_token,
    )  # fmt: skip
    use(hooks.settings, monkeypatch)

    hubspot = await orion("webhooks", "reconcile", "--connection", str(connection),
                          "--since", "2026-01-01T00:00")  # fmt: skip
    unknown = await orion("webhooks", "reconcile", "--connection", str(uuid.uuid4()),
                          "--since", "0")  # fmt: skip

    assert hubspot.exit_code == 2
    assert "no API that lists past webhook events" in hubspot.output
    assert "sync" in hubspot.output
    assert unknown.exit_code == 1


async def test_replay_dead_events_from_the_command_line(
    webhook_stack: StackFactory,
    emulator_accounts: EmulatorAccounts,
    monkeypatch: pytest.MonkeyPatch,
    cli_environment: None,
) -> None:
    portal = emulator_accounts.hubspot(contacts=3, seed=43)
    state = emulator_accounts.state
    faults = [FaultRule(kind="server_error", every=1)]
    state.set_faults(Provider.HUBSPOT, portal.access_token, faults)
    async with webhook_stack(WEBHOOKS_MAX_ATTEMPTS="1") as stack:
        tenant = await new_tenant(stack.database)
        connection = await add_connection(
            stack.database, stack.resources.vault, tenant, provider="hubspot",
            account=str(portal.portal_id), credential=portal.access_token,
        )  # fmt: skip
        events = state.churn_hubspot(portal.access_token, contacts=ChurnSpec(update=2))
        assert (await post_hubspot(stack.api, events.webhook_events)).is_success
        dead = await wait_until_settled(
            stack.database, tenant, connection, len(events.webhook_events), final=("dead",)
        )
        state.set_faults(Provider.HUBSPOT, portal.access_token, [])
        use(stack.settings, monkeypatch)

        replayed = await orion("webhooks", "replay", "--dead")
        unknown = await orion("webhooks", "replay", str(uuid.uuid4()))
        nothing = await orion("webhooks", "replay")

        assert replayed.exit_code == 0, replayed.output
        assert "replayed" in replayed.output  # --dead takes every tenant's dead events
        rows = await wait_until_settled(stack.database, tenant, connection, len(dead))
        assert {row.replays for row in rows} == {1}
        assert unknown.exit_code == 1
        assert nothing.exit_code == 2
