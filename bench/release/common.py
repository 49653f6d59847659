"""Plumbing for the release drills: real ``orion api`` processes, the real proxy, steady load.

Everything runs as an operator would run it on one machine (``python -m orion api`` per
release slot, ``python -m orion ops proxy`` in front), so the figures include interpreter
start-up, the drain and the proxy's probe interval. Postgres is ORION_BENCH_DATABASE_URL's
server (default: this machine's ``postgresql://postgres@127.0.0.1:5432/postgres``); each run
creates and drops its own migrated database. No Temporal: readiness then reports it as
"not configured" (warn, 200), which does not change any timing measured here.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from orion.platform.auth import mint_development_token
from orion.platform.migrations import upgrade
from orion.platform.processes import free_port

RESULTS = Path(__file__).resolve().parents[1] / "results"
DEV_JWT_SECRET = "orion-development-jwt-secret-do-not-use-elsewhere"
ORION = [sys.executable, "-m", "orion"]
#: The proxy's defaults; a release's drain must outlast interval + timeout (docs/deployment.md).
CHECK_INTERVAL, CHECK_TIMEOUT, DRAIN_SECONDS = 0.5, 1.0, 2.0


@dataclass
class Stack:
    owner_url: str
    app_url: str
    work: Path
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)
    adopted: list[int] = field(default_factory=list)  # groups started by our children

    def env(self, **extra: str) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "API_"))}
        return {
            **keep,
            "ORION_ENV": "development",
            "DATABASE_URL": self.app_url,
            "DATABASE_MIGRATION_URL": self.owner_url,
            "LOG_LEVEL": "WARNING",
            "API_SHUTDOWN_DRAIN_SECONDS": str(DRAIN_SECONDS),
            "API_SHUTDOWN_GRACE_SECONDS": "10",
            "RATELIMIT_READ": "1000000/minute",  # one tenant, one client address: not the subject
            **extra,
        }

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with (self.work / f"{name}.log").open("ab") as log:
            child = subprocess.Popen(
                argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.children.append(child)
        return child

    def release(self, name: str, port: int, **extra: str) -> subprocess.Popen[bytes]:
        argv = [*ORION, "api", "--host", "127.0.0.1", "--port", str(port)]
        return self.spawn(name, argv, self.env(RELEASE_ID=name, **extra))

    def proxy(self, port: int, slots: list[int]) -> subprocess.Popen[bytes]:
        argv = [*ORION, "ops", "proxy", "--port", str(port), "--log-level", "WARNING"]
        argv += [f"--backend=http://127.0.0.1:{slot}" for slot in slots]
        argv += ["--check-interval", str(CHECK_INTERVAL), "--check-timeout", str(CHECK_TIMEOUT)]
        return self.spawn("proxy", argv, self.env())


def terminate(child: subprocess.Popen[bytes], grace: float = 30) -> int:
    with suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGTERM)
    try:
        return child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        return child.wait()


def terminate_group(pid: int, grace: float = 15) -> None:
    """A process group that is not our child (we cannot wait() for it): poll until it is gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


async def _execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def stack(work: Path) -> Iterator[Stack]:
    """A migrated scratch database; every process spawned is stopped (its group) at the end."""
    work.mkdir(parents=True, exist_ok=True)
    base = os.environ.get(
        "ORION_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    name = f"orion_release_{uuid.uuid4().hex[:8]}"
    asyncio.run(_execute(base, f'CREATE DATABASE "{name}"'))
    owner = base.rsplit("/", 1)[0] + f"/{name}"
    found = Stack(owner, owner.replace("://postgres@", "://orion_app@", 1), work)
    try:
        upgrade(found.owner_url, found.app_url)
        yield found
    finally:
        for child in reversed(found.children):
            terminate(child, grace=15)
        for group in found.adopted:
            terminate_group(group)
        asyncio.run(_execute(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def status(url: str, timeout: float = 1.0) -> int:
    try:
        return httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError:
        return 0


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll every 20 ms; returns the monotonic time the condition first held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {seconds:g}s")
        time.sleep(0.02)
    return time.monotonic()


def token() -> str:
    return mint_development_token(
        DEV_JWT_SECRET, uuid.uuid4(), ttl_seconds=3600, audience="authenticated",
        tenant_claim="app_metadata.tenant_id",
    )  # fmt: skip


@dataclass
class Answer:
    at: float
    kind: str
    status: int  # 0: no HTTP answer (refused, reset, timeout)
    release: str | None


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)

    def failed(self, start: float = 0.0, end: float = float("inf")) -> list[Answer]:
        return [a for a in self.answers if start <= a.at <= end and a.status != 200]

    def first_from(self, release: str, after: float = 0.0) -> float | None:
        return next((a.at for a in self.answers if a.release == release and a.at >= after), None)

    def since(self, after: float) -> list[Answer]:
        return [a for a in self.answers if a.at >= after]

    def wait_for_release(self, release: str, after: float, seconds: float = 30) -> float:
        """When the first answer from ``release`` (sent after ``after``) was sent."""
        wait_until(lambda: self.first_from(release, after) is not None, seconds, release)
        first = self.first_from(release, after)
        assert first is not None
        return first

    def settle(self, after: float, count: int = 20) -> None:
        """Wait until ``count`` more answers came back after ``after``."""
        wait_until(lambda: len(self.since(after)) >= count, 30, f"{count} answers")


@contextmanager
def steady_load(url: str, per_second: dict[str, float]) -> Iterator[Load]:
    """``health`` (liveness, with releaseId) and ``read`` (signed-in customers), fixed rates."""
    load = Load()
    stop = threading.Event()
    bearer = {"Authorization": f"Bearer {token()}"}
    paths = {"health": ("/health", {}), "read": ("/api/v1/customers?limit=1", bearer)}

    def run(kind: str) -> None:
        path, headers = paths[kind]
        with httpx.Client(base_url=url, timeout=10, headers=headers) as client:
            while not stop.is_set():
                began = time.monotonic()
                try:
                    response = client.get(path)
                    release = response.json().get("releaseId") if kind == "health" else None
                    load.answers.append(Answer(began, kind, response.status_code, release))
                except (httpx.HTTPError, ValueError):
                    load.answers.append(Answer(began, kind, 0, None))
                stop.wait(max(0.0, 1 / per_second[kind] - (time.monotonic() - began)))

    threads = [threading.Thread(target=run, args=(kind,), daemon=True) for kind in per_second]
    for thread in threads:
        thread.start()
    try:
        yield load
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)


def free_ports(count: int) -> list[int]:
    return [free_port() for _ in range(count)]


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def machine() -> dict[str, Any]:
    load1, load5, _ = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_average_1m_5m_at_start": [round(load1, 2), round(load5, 2)],
    }


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "min": round(ordered[0], 3),
        "median": round(ordered[len(ordered) // 2], 3),
        "max": round(ordered[-1], 3),
    }
