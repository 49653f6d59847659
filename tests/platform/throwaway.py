"""Dependencies a test may stop, restart or replace with a black hole.

The session fixtures (``pg_server``, ``temporal_server``, ``redis_url``) are shared, so a test
that kills its dependency starts its own: a ``redis-server`` on a free port, an embedded
Postgres in tmp_path, a Temporal dev server. A :class:`BlackHole` accepts TCP connections and
never answers, the worst kind of outage for a health check.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from orion.platform.config import Settings
from orion.platform.processes import free_port, stop_process_group, wait_for_port
from tests.fixtures.services import service_unavailable


@dataclass
class RedisServer:
    """``redis-server --port <free> --save ''``: no persistence, so a restart starts empty."""

    directory: Path
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            service_unavailable("redis-server", "the binary is not on PATH")
            return
        self._process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        wait_for_port("127.0.0.1", self.port, 10, self._process)

    def stop(self) -> None:
        if self._process is not None:
            stop_process_group(self._process, grace_seconds=5)
            self._process = None


@contextmanager
def redis_server(directory: Path) -> Iterator[RedisServer]:
    server = RedisServer(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class BlackHole:
    """A local port that accepts connections and never sends a byte."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(64)
        self._socket.settimeout(0.2)
        self.port = int(self._socket.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                continue
            self._held.append(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()
        self._socket.close()


@contextmanager
def black_hole() -> Iterator[BlackHole]:
    hole = BlackHole()
    try:
        yield hole
    finally:
        hole.close()


async def eventually(check: Callable[[], object], *, within: float = 60.0) -> None:
    """Poll an async ``check`` (returning truthy) until it holds; fail after ``within`` s.

    A wait for recovery, not a timed assertion: ``within`` only stops a broken test.
    """
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {within} s")
        await asyncio.sleep(0.2)


def child_environment(**values: str) -> dict[str, str]:
    """The current environment without any Orion setting, plus ``values``."""
    names = {name.upper() for name in Settings.model_fields}
    prefixes = (*(f"{name}_" for name in names), "ORION_", "PROMETHEUS_MULTIPROC_DIR")
    kept = {k: v for k, v in os.environ.items() if k not in names and not k.startswith(prefixes)}
    return {**kept, **values}


@dataclass
class ApiProcess:
    """``python -m orion api`` on a free port, in its own process group."""

    log_file: Path
    environment: dict[str, str]
    workers: int = 1
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "orion", "api", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(self.workers)]
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_until_serving(self, timeout: float = 60.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"orion api exited early:\n{self.log_file.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"orion api not serving:\n{self.log_file.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, grace_seconds=15)


@contextmanager
def api_processes(
    directory: Path, environment: dict[str, str], count: int = 1, workers: int = 1
) -> Iterator[list[ApiProcess]]:
    """``count`` API processes started together; all stopped (process groups) afterwards."""
    processes = [ApiProcess(directory / f"api-{n}.log", environment, workers) for n in range(count)]
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.wait_until_serving()
        yield processes
    finally:
        for process in processes:
            process.stop()
