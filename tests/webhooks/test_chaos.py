"""Chaos: 2,000 signed webhooks while API and worker processes are SIGKILLed and restarted.

Two API instances behind the sender (as deployed: 2-10 instances), killed in turn while
requests are in flight (only serving ones: an instance still starting is left alone), and the
worker killed three times. Like Stripe, the sender retries
every delivery that got no 2xx, spreading retries over the instances. Every acknowledged event
must then be processed exactly once: one inbox row, one workflow execution, one effect (each
event creates its own customer, so every record must exist at version 1).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from orion.emulator.churn import ChurnSpec
from orion.emulator.server import EmulatorServer
from orion.emulator.webhooks import send_stripe_webhooks
from orion.platform.processes import free_port
from orion.platform.temporal_client import connect_temporal
from tests.fixtures.emulator import EmulatorAccounts
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.settings import SettingsFactory
from tests.fixtures.stack import Stack, running_stack, stack_settings
from tests.platform.throwaway import child_environment
from tests.webhooks.conftest import WEBHOOK_SETTINGS
from tests.webhooks.helpers import inbox_rows, rendered, stripe_connection
from tests.webhooks.processes import OrionProcess, QuickTemporal

pytestmark = pytest.mark.chaos

EVENTS = 2000
BATCH = 100
KILL_API_AT = (200, 700, 1200)  # acknowledged events; instances alternate
KILL_WORKER_AT = (450, 950, 1450)


@pytest.fixture
def quick_temporal(tmp_path: Path) -> Iterator[QuickTemporal]:
    server = QuickTemporal(tmp_path / "temporal" / "temporal.db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Api(OrionProcess):
    """One API instance; ``ready`` is what a load balancer's health check would say."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__("api", env, log)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready = False

    def run(self) -> None:
        self.start("--host", "127.0.0.1", "--port", str(self.port))


async def wait_serving(api: Api, within: float = 90.0) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=1) as client:
        while time.monotonic() < deadline:
            assert api.process is not None and api.process.poll() is None, api.log.read_text()
            try:
                if (await client.get(f"{api.url}/health")).status_code == 200:
                    api.ready = True
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"the API did not start:\n{api.log.read_text()[-2000:]}")


def ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


class Chaos:
    """Kills at acknowledgement thresholds, while the sender has requests in flight."""

    def __init__(self, apis: list[Api], worker: OrionProcess) -> None:
        self.apis = apis
        self.worker = worker
        self.acknowledged: set[str] = set()
        self.api_kills = 0
        self._waits: list[asyncio.Task[None]] = []

    def live(self) -> list[Api]:
        """The instances a load balancer would send to (all of them if none looks up)."""
        return [api for api in self.apis if api.ready] or self.apis

    async def run(self, sending: asyncio.Event) -> None:
        while sending.is_set():
            acked = len(self.acknowledged)
            turn = self.api_kills % len(self.apis)
            rotation = self.apis[turn:] + self.apis[:turn]
            api = next((candidate for candidate in rotation if candidate.ready), None)
            due = self.api_kills < len(KILL_API_AT) and acked >= KILL_API_AT[self.api_kills]
            if due and api is not None:  # kill a serving instance (never one still starting)
                self.api_kills += 1
                api.ready = False
                await self._bounce(api, api.run)
                self._waits.append(asyncio.create_task(wait_serving(api)))
            if (
                self.worker.kills < len(KILL_WORKER_AT)
                and acked >= KILL_WORKER_AT[self.worker.kills]
            ):
                await self._bounce(self.worker, self.worker.start)
            await asyncio.sleep(0.02)
        await asyncio.gather(*self._waits)

    @staticmethod
    async def _bounce(process: OrionProcess, start: Any) -> None:
        process.kill()
        await asyncio.sleep(0.3)
        start()


async def send_all(
    chaos: Chaos, events: list[dict[str, Any]], connection: uuid.UUID, secret: str
) -> int:
    """Deliver until every event is acknowledged; returns how many deliveries it took."""
    deliveries = 0
    pending = list(events)
    round_ = 0
    async with httpx.AsyncClient(timeout=10) as http:
        while pending:
            batch, pending = pending[:BATCH], pending[BATCH:]
            round_ += 1
            apis = chaos.live()
            shares = [batch[i :: len(apis)] for i in range(len(apis))]
            results = await asyncio.gather(
                *(
                    send_stripe_webhooks(
                        f"{api.url}/api/v1/webhooks/stripe/{connection}",
                        shares[(n + round_) % len(shares)],
                        secret,
                        concurrency=16 // len(apis),
                        client=http,
                    )
                    for n, api in enumerate(apis)
                )
            )
            done = [d for result in results for d in result]
            deliveries += len(done)
            chaos.acknowledged |= {d.event_ids[0] for d in done if ok(d.status)}
            retry = [e for e in batch if e["id"] not in chaos.acknowledged]
            pending = retry + pending
            if len(retry) == len(batch):
                await asyncio.sleep(0.2)  # every instance is down: back off
    return deliveries


async def wait_processed(
    stack: Stack, tenant: uuid.UUID, connection: uuid.UUID, acked: set[str], within: float
) -> set[str]:
    """Poll until every acknowledged event is processed (``within`` only stops a hang)."""
    deadline = time.monotonic() + within
    while True:
        rows = await inbox_rows(stack.database, tenant, connection)
        processed = {row.event_id for row in rows if row.status == "processed"}
        if acked <= processed or time.monotonic() > deadline:
            return processed
        await asyncio.sleep(0.5)


async def test_kills_during_2000_webhooks_lose_and_duplicate_nothing(
    settings_factory: SettingsFactory,
    shared_database: TestDatabase,
    quick_temporal: QuickTemporal,
    emulator: EmulatorServer,
    emulator_accounts: EmulatorAccounts,
    tmp_path: Path,
) -> None:
    settings = stack_settings(
        settings_factory, shared_database, quick_temporal, emulator, **WEBHOOK_SETTINGS
    )
    env = child_environment(
        ORION_ENV="development",
        DATABASE_URL=shared_database.app_url,
        TEMPORAL_ADDRESS=quick_temporal.address,
        TEMPORAL_TASK_QUEUE=settings.temporal.task_queue,
        STRIPE_API_BASE=emulator.url,
        LOG_LEVEL="WARNING",
        API_SHUTDOWN_DRAIN_SECONDS="0",
        API_SHUTDOWN_GRACE_SECONDS="1",
        WORKER_SHUTDOWN_GRACE_SECONDS="1",
        **WEBHOOK_SETTINGS,
    )
    apis = [Api(env, tmp_path / f"api-{n}.log") for n in range(2)]
    worker = OrionProcess("worker", env, tmp_path / "worker.log")
    chaos = Chaos(apis, worker)
    account = emulator_accounts.stripe(seed=31)
    churn = emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(create=EVENTS)
    )
    events = rendered(account, [e.id for e in churn.events])

    async with running_stack(settings, worker=False) as stack:
        # Paused: the worker's schedule reconciler must not start a sync under the test.
        tenant, connection = await stripe_connection(stack, account, status="paused")
        try:
            for api in apis:
                api.run()
            worker.start()
            await asyncio.gather(*(wait_serving(api) for api in apis))
            started = time.monotonic()
            sending = asyncio.Event()
            sending.set()
            killer = asyncio.create_task(chaos.run(sending))
            try:
                deliveries = await send_all(chaos, events, connection, account.webhook_secret)
            finally:
                sending.clear()
                await killer
            sent = time.monotonic()
            processed = await wait_processed(
                stack, tenant, connection, chaos.acknowledged, within=120
            )
            finished = time.monotonic()
            rows = await inbox_rows(stack.database, tenant, connection)
            customers = await stack.records(tenant, str(connection), "customer")
            client = await connect_temporal(settings.temporal)
            query = (
                f'WorkflowType = "ProcessWebhookWorkflow" '
                f'AND TaskQueue = "{settings.temporal.task_queue}"'
            )
            runs = Counter([w.id async for w in client.list_workflows(query)])
        finally:
            for process in (*apis, worker):
                process.stop()

    created = {e["id"]: e["data"]["object"]["id"] for e in events}
    lost = [e for e in chaos.acknowledged if e not in processed or created[e] not in customers]
    duplicate = {e for e, n in Counter(row.event_id for row in rows).items() if n > 1}
    duplicate |= {w for w, n in runs.items() if n > 1}
    duplicate |= {c for c, row in customers.items() if row.version != 1}
    print(
        f"\nchaos: acknowledged={len(chaos.acknowledged)} processed={len(processed)} "
        f"duplicate={len(duplicate)} lost={len(lost)} (deliveries={deliveries}, "
        f"api kills={chaos.api_kills}, worker kills={worker.kills}, executions={len(runs)}, "
        f"sending {sent - started:.1f}s, processing done {finished - started:.1f}s)"
    )
    assert chaos.api_kills == len(KILL_API_AT) and worker.kills == len(KILL_WORKER_AT)
    assert len(chaos.acknowledged) == EVENTS
    assert lost == []
    assert duplicate == set()
    assert len(runs) == EVENTS
