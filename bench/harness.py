"""Shared plumbing for the benchmarks: real processes on loopback, stopped on exit.

Every benchmark runs Orion as users run it (``python -m orion api|worker``, the emulator as its
own process) so the figures include process boundaries, HTTP and Postgres round trips.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from orion.platform.auth import mint_development_token
from orion.platform.embedded_postgres import EmbeddedPostgres
from orion.platform.migrations import upgrade
from orion.platform.processes import free_port, stop_process_group, wait_for_port
from orion.platform.temporal_dev import TemporalDevServer

DEV_JWT_SECRET = "orion-development-jwt-secret-do-not-use-elsewhere"
RESULTS = Path(__file__).parent / "results"


@dataclass
class Services:
    owner_url: str
    app_url: str
    temporal: str
    work: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TEMPORAL_"))}
        return {
            **base,
            "ORION_ENV": "development",
            "DATABASE_URL": self.app_url,
            "DATABASE_MIGRATION_URL": self.owner_url,
            "TEMPORAL_ADDRESS": self.temporal,
            "LOG_LEVEL": "WARNING",
            **extra,
        }

    def spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process


def token(tenant: uuid.UUID) -> str:
    return mint_development_token(
        DEV_JWT_SECRET, tenant, ttl_seconds=86400, audience="authenticated",
        tenant_claim="app_metadata.tenant_id",
    )  # fmt: skip


async def _create_database(maintenance: str, name: str) -> None:
    connection = await asyncpg.connect(maintenance)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(maintenance: str, name: str) -> None:
    connection = await asyncpg.connect(maintenance)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@contextmanager
def services(work: Path) -> Iterator[Services]:
    """Postgres (ORION_BENCH_DATABASE_URL's server, else embedded), migrated; Temporal dev."""
    work.mkdir(parents=True, exist_ok=True)
    embedded = None
    base = os.environ.get("ORION_BENCH_DATABASE_URL")
    if base is None:
        embedded = EmbeddedPostgres(work / "pgdata")
        base = embedded.start().url("postgres", "postgres")
    name = f"orion_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_database(base, name))
    owner = (
        base.rsplit("/", 1)[0] + f"/{name}" + ("?" + base.split("?", 1)[1] if "?" in base else "")
    )
    app = owner.replace("://postgres@", "://orion_app@", 1)
    upgrade(owner, app)
    temporal = TemporalDevServer(work / "temporal.db")
    temporal.start()
    found = Services(owner, app, temporal.address, work)
    try:
        yield found
    finally:
        for process in reversed(found.processes):
            stop_process_group(process, grace_seconds=10)
        temporal.stop()
        asyncio.run(_drop_database(base, name))
        if embedded is not None:
            embedded.stop()


def start_emulator(services: Services, customers: int, invoices: int = 0) -> str:
    port = free_port()
    process = services.spawn(
        "emulator",
        [sys.executable, "-m", "orion", "emulator", "serve", "--port", str(port),
         "--customers", str(customers), "--invoices", str(invoices)],
        services.env(),
    )  # fmt: skip
    wait_for_port("127.0.0.1", port, 300, process)
    return f"http://127.0.0.1:{port}"


def start_api(services: Services, env: dict[str, str], workers: int = 1) -> str:
    port = free_port()
    process = services.spawn(
        "api",
        [sys.executable, "-m", "orion", "api", "--port", str(port), "--workers", str(workers)],
        env,
    )
    wait_for_port("127.0.0.1", port, 120, process)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError("API did not become healthy")


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return path


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform}


async def _activity_pollers(address: str, task_queue: str) -> int:
    client = await Client.connect(address)
    answer = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        )
    )
    return len(answer.pollers)


def wait_for_worker(services: Services, task_queue: str = "orion", timeout: float = 180) -> None:
    """Until a worker polls the task queue: a timed run must not include the worker's start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if asyncio.run(_activity_pollers(services.temporal, task_queue)):
            return
        time.sleep(0.5)
    raise TimeoutError(f"no worker polls {task_queue!r}")
