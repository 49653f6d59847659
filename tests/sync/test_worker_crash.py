"""Chaos: the worker is killed with SIGKILL three times during a sync; nothing is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from orion.emulator.faults import FaultRule
from orion.emulator.server import EmulatorServer
from orion.platform.processes import stop_process_group
from orion.platform.temporal_dev import TemporalDevServer
from orion.records.unified import Provider
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.settings import SettingsFactory
from tests.fixtures.stack import running_stack, stack_settings
from tests.sync.helpers import assert_matches_stripe, connect

pytestmark = pytest.mark.chaos


class WorkerProcess:
    """`python -m orion worker` with the test's settings, killable at will."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orion", "worker"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, grace_seconds=5)


async def test_kill_9_three_times_then_exact_result(
    settings_factory: SettingsFactory,
    shared_database: TestDatabase,
    temporal_server: TemporalDevServer,
    emulator: EmulatorServer,
    emulator_accounts: EmulatorAccounts,
    tmp_path: Path,
) -> None:
    settings = stack_settings(settings_factory, shared_database, temporal_server, emulator)
    account = emulator_accounts.stripe(customers=2500, invoices=1000, seed=11)
    # Slow the provider a little so the kills land mid-sync, mid-page.
    emulator_accounts.state.set_faults(
        Provider.STRIPE, account.api_key, [FaultRule(kind="latency", every=1, latency_ms=40)]
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TEMPORAL_"))},
        "ORION_ENV": "development",
        "DATABASE_URL": shared_database.app_url,
        "TEMPORAL_ADDRESS": temporal_server.address,
        "TEMPORAL_TASK_QUEUE": settings.temporal.task_queue,
        "STRIPE_API_BASE": emulator.url,
        "WORKER_SHUTDOWN_GRACE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        "SYNC_PAGES_PER_ACTIVITY": "5",  # small commits, so three kills fit in 35 pages
    }
    worker = WorkerProcess(env, tmp_path / "worker.log")
    tenant = uuid.uuid4()
    async with running_stack(settings, worker=False) as stack:
        connection = await connect(
            stack, tenant, {"provider": "stripe", "api_key": account.api_key}
        )
        started = await stack.api.post(
            f"/api/v1/connections/{connection}/sync", headers=stack.headers(tenant)
        )
        assert started.status_code == 202
        worker.start()
        try:
            kills = 0
            last_pages = 0
            while kills < 3:
                run = await stack.wait_for_run(
                    tenant, connection, done=lambda r, p=last_pages: r["pages"] >= p + 6
                )
                assert run["status"] == "running", "the sync finished before all kills"
                worker.kill()
                kills += 1
                last_pages = run["pages"]
                await asyncio.sleep(0.5)
                worker.start()
            final = await stack.wait_for_run(tenant, connection, within=300)
        finally:
            worker.stop()
        assert final["status"] == "completed", final
        await assert_matches_stripe(stack, tenant, connection, account)
        assert final["records_upserted"] == 3500  # every record applied exactly once
