"""Processes the webhook tests start: a faster Temporal dev server, a killable worker.

:class:`QuickTemporal` is the same ``temporal server start-dev`` as the session fixture, with
SQLite in WAL mode without fsync. The dev server's SQLite file is what limits how many
workflows per second this 2-core machine completes (28/s -> 76/s for one local activity each,
measured), and the chaos test pushes 2,000 events through it. Losing the file on a power cut
does not matter to a test; a graceful stop still leaves a consistent file to restart on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from orion.platform.processes import free_port, stop_process_group, venv_executable, wait_for_port
from orion.platform.temporal_dev import TemporalDevServer

PRAGMAS = ("journal_mode=wal", "synchronous=off")


class QuickTemporal(TemporalDevServer):
    def start(self, timeout: float = 60.0) -> None:
        self.port = self.port or free_port(self.host)
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        command = [
            str(venv_executable("temporal")), "server", "start-dev", "--headless",
            "--ip", self.host, "--port", str(self.port),
            "--http-port", str(free_port(self.host)), "--metrics-port", str(free_port(self.host)),
            "--db-filename", str(self.db_file), "--log-level", "warn",
        ]  # fmt: skip
        for pragma in PRAGMAS:
            command += ["--sqlite-pragma", pragma]
        with open(self.db_file.with_suffix(".log"), "ab") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
            )
        wait_for_port(self.host, self.port, timeout, self._process)


class OrionProcess:
    """``python -m orion <command>`` in its own process group, killable with SIGKILL."""

    def __init__(self, command: str, env: dict[str, str], log: Path) -> None:
        self.command = command
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self, *args: str) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "orion", self.command, *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process, grace_seconds=5)
