"""Determinism: recorded workflow histories replay against the current workflow code.

Histories in ``tests/sync/histories/`` were recorded from real runs (set
``ORION_RECORD_HISTORIES=1`` to re-record after an intentional, versioned change). A change
to a workflow that would break running executions fails here before it reaches production.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from orion.entrypoints.worker import WORKFLOWS
from orion.sync.inputs import sync_workflow_id
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.stack import Stack
from tests.sync.helpers import connect, sync_now

HISTORIES = Path(__file__).parent / "histories"


def recorded() -> list[Path]:
    return sorted(HISTORIES.glob("*.json"))


@pytest.mark.parametrize("path", recorded(), ids=lambda p: p.stem)
async def test_recorded_histories_replay(path: Path) -> None:
    text = await asyncio.to_thread(path.read_text)
    history = WorkflowHistory.from_json(path.stem, json.loads(text))
    await Replayer(workflows=list(WORKFLOWS)).replay_workflow(history)


async def test_fresh_histories_replay_and_can_be_recorded(
    stack: Stack, emulator_accounts: EmulatorAccounts
) -> None:
    tenant = uuid.uuid4()
    account = emulator_accounts.stripe(customers=250, invoices=120, seed=2)
    connection = await connect(stack, tenant, {"provider": "stripe", "api_key": account.api_key})
    run = await sync_now(stack, tenant, connection)
    assert run["status"] == "completed"
    assert stack.resources.temporal is not None
    handle = stack.resources.temporal.get_workflow_handle(sync_workflow_id(connection))
    history = await handle.fetch_history()
    await Replayer(workflows=list(WORKFLOWS)).replay_workflow(history)
    if os.environ.get("ORION_RECORD_HISTORIES") == "1":
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / "sync_workflow_stripe.json").write_text(history.to_json())
