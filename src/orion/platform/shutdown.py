"""Graceful shutdown of ``orion api``: leave the load balancer first, then stop.

Zero-downtime deploys need an instance to stop receiving traffic *before* it stops accepting
connections, or requests routed to it in the meantime fail. On SIGTERM (or SIGINT) the server:

1. marks the process as draining: ``/health/ready`` answers 503 from that instant, while every
   other route, ``/health`` (liveness) included, is served as usual;
2. keeps serving for ``API_SHUTDOWN_DRAIN_SECONDS``, long enough for the platform's health
   checker to see the 503 and route new requests to the other instances;
3. then hands over to uvicorn's own graceful shutdown: close the listening socket, let
   in-flight requests finish within ``API_SHUTDOWN_GRACE_SECONDS`` (uvicorn's
   ``timeout_graceful_shutdown``), run the lifespan shutdown.

A second signal during the drain ends it at once. After a graceful stop the process exits 0
instead of re-raising the signal (stock uvicorn re-raises it, which kills the process before
``orion api`` can stop what it started, such as the embedded Postgres).

How: uvicorn installs ``Server.handle_exit`` as its SIGINT/SIGTERM handler
(``Server.capture_signals``) and polls ``should_exit`` every 0.1 s in ``main_loop`` through
``on_tick``. :class:`DrainingServer` overrides ``handle_exit`` to start the drain (it only sets
fields and touches a file, which is safe in a signal handler) and ``on_tick`` to set
``should_exit`` once the drain deadline has passed. With ``--workers N`` the signal reaches
uvicorn's supervisor, not the processes that answer readiness, so
:class:`DrainingMultiprocess` drains before it terminates the workers. Both tell the app through
the same drain file (``ORION_DRAIN_FILE``): the app's :class:`DrainState` reports draining once
the file exists, whichever process created it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from socket import socket
from types import FrameType

import structlog
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess

_log = structlog.get_logger("orion.shutdown")

#: Where the server processes find the drain file (set by ``orion api`` before serving).
DRAIN_FILE_VARIABLE = "ORION_DRAIN_FILE"


class DrainState:
    """Whether this process is draining; set on SIGTERM, read by readiness on every call."""

    def __init__(self, marker: Path | None = None) -> None:
        self.marker = marker
        self._draining = False

    @classmethod
    def from_environment(cls) -> DrainState:
        path = os.environ.get(DRAIN_FILE_VARIABLE)
        return cls(Path(path) if path else None)

    @property
    def draining(self) -> bool:
        if not self._draining and self.marker is not None and self.marker.exists():
            self._draining = True
        return self._draining

    def begin(self) -> None:
        self._draining = True
        if self.marker is not None:
            self.marker.touch()


@contextmanager
def drain_file() -> Iterator[Path]:
    """A fresh drain-file path shared with the server processes through the environment."""
    directory = Path(tempfile.mkdtemp(prefix="orion-drain-"))
    path = directory / "draining"
    previous = os.environ.get(DRAIN_FILE_VARIABLE)
    os.environ[DRAIN_FILE_VARIABLE] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(DRAIN_FILE_VARIABLE, None)
        else:
            os.environ[DRAIN_FILE_VARIABLE] = previous
        shutil.rmtree(directory, ignore_errors=True)


class DrainingServer(uvicorn.Server):
    """uvicorn's server, with a readiness drain between the signal and the stop."""

    def __init__(self, config: uvicorn.Config, drain: DrainState, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain = drain
        self.drain_seconds = drain_seconds
        self.drain_deadline: float | None = None
        self._drain_logged = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        first = self.drain_deadline is None and not self.should_exit
        self.drain.begin()
        if first and self.drain_seconds > 0:
            self.drain_deadline = time.monotonic() + self.drain_seconds
            return
        super().handle_exit(sig, frame)
        self._captured_signals.clear()  # exit normally after a graceful stop (module doc)

    async def on_tick(self, counter: int) -> bool:
        if self.drain_deadline is not None:
            if not self._drain_logged:
                self._drain_logged = True
                _log.info("api_draining", seconds=self.drain_seconds)
            if time.monotonic() >= self.drain_deadline:
                self.should_exit = True
        return await super().on_tick(counter)


class DrainingMultiprocess(Multiprocess):
    """uvicorn's worker supervisor, draining readiness before it terminates the workers."""

    def __init__(
        self, config: uvicorn.Config, sockets: list[socket], drain: DrainState, drain_seconds: float
    ) -> None:
        super().__init__(config, sockets)
        self.drain = drain
        self.drain_seconds = drain_seconds
        self._drained = False

    def handle_term(self) -> None:
        self._drain_then(super().handle_term)

    def handle_int(self) -> None:
        self._drain_then(super().handle_int)

    def _drain_then(self, stop: Callable[[], None]) -> None:
        if not self._drained:
            self._drained = True
            self.drain.begin()
            _log.info("api_draining", seconds=self.drain_seconds)
            deadline = time.monotonic() + self.drain_seconds
            while time.monotonic() < deadline and not self.signal_queue:
                time.sleep(0.1)  # a second signal ends the drain early
        stop()


def serve(config: uvicorn.Config, drain: DrainState, drain_seconds: float) -> int:
    """Run uvicorn with the drain; returns the process exit code."""
    if config.workers > 1:
        DrainingMultiprocess(config, [config.bind_socket()], drain, drain_seconds).run()
        return 0
    server = DrainingServer(config, drain, drain_seconds)
    server.run()
    return 0 if server.started else STARTUP_FAILURE
