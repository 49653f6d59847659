"""SIGTERM drains readiness first, keeps serving, then stops cleanly (exit 0)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from uvicorn.supervisors.multiprocess import SIGNALS

from orion.platform.shutdown import DrainingMultiprocess, DrainingServer, DrainState, drain_file
from tests.fixtures.postgres import TestDatabase
from tests.platform.throwaway import api_processes, child_environment


async def _app(scope: object, receive: object, send: object) -> None:
    return None


def server(drain_seconds: float) -> DrainingServer:
    return DrainingServer(uvicorn.Config(_app), DrainState(), drain_seconds)


async def test_the_first_signal_starts_the_drain_and_the_deadline_ends_it() -> None:
    draining = server(drain_seconds=0.2)
    draining.handle_exit(signal.SIGTERM, None)
    assert draining.drain.draining
    assert not draining.should_exit
    assert draining.drain_deadline is not None
    draining.drain_deadline = time.monotonic() - 1  # as if the drain period had passed
    assert await draining.on_tick(1)
    assert draining.should_exit


def test_a_second_signal_ends_the_drain_at_once() -> None:
    draining = server(drain_seconds=60)
    draining.handle_exit(signal.SIGTERM, None)
    draining.handle_exit(signal.SIGTERM, None)
    assert draining.should_exit
    assert draining._captured_signals == []  # not re-raised: a graceful stop exits 0


def test_without_a_drain_period_the_server_stops_at_once() -> None:
    immediate = server(drain_seconds=0)
    immediate.handle_exit(signal.SIGTERM, None)
    assert immediate.should_exit
    assert immediate.drain.draining


def test_the_drain_file_is_shared_through_the_environment() -> None:
    with drain_file() as marker:
        assert os.environ["ORION_DRAIN_FILE"] == str(marker)
        reader = DrainState.from_environment()
        assert not reader.draining
        DrainState(marker).begin()
        assert reader.draining
    assert "ORION_DRAIN_FILE" not in os.environ
    assert not marker.parent.exists()


@pytest.fixture
def supervisor() -> Iterator[Callable[[float], DrainingMultiprocess]]:
    """uvicorn's supervisor installs signal handlers when built; give the test's back after."""
    saved = {sig: signal.getsignal(sig) for sig in SIGNALS}

    def build(drain_seconds: float) -> DrainingMultiprocess:
        return DrainingMultiprocess(uvicorn.Config(_app), [], DrainState(), drain_seconds)

    try:
        yield build
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def test_the_worker_supervisor_drains_before_it_stops_the_workers(
    supervisor: Callable[[float], DrainingMultiprocess],
) -> None:
    quick = supervisor(0.05)
    quick.handle_term()
    assert quick.drain.draining
    assert quick.should_exit.is_set()


def test_a_second_signal_ends_the_supervisor_drain(
    supervisor: Callable[[float], DrainingMultiprocess],
) -> None:
    patient = supervisor(3600)
    patient.signal_queue.append(signal.SIGTERM)  # arrived while draining
    patient.handle_term()
    assert patient.drain.draining
    assert patient.should_exit.is_set()


def test_sigterm_drains_readiness_while_serving_then_exits_zero(
    tmp_path: Path, shared_database: TestDatabase
) -> None:
    environment = child_environment(
        ORION_ENV="development",
        DATABASE_URL=shared_database.app_url,
        API_SHUTDOWN_DRAIN_SECONDS="3",
        API_SHUTDOWN_GRACE_SECONDS="5",
        HEALTH_CACHE_SECONDS="0",
        LOG_FORMAT="json",
    )
    with api_processes(tmp_path, environment) as [api]:
        assert api.process is not None
        assert httpx.get(f"{api.url}/health/ready", timeout=10).status_code != 503
        os.kill(api.process.pid, signal.SIGTERM)  # what the platform sends to the main process
        with httpx.Client(base_url=api.url, timeout=10) as client:
            deadline = time.monotonic() + 2.5
            while client.get("/health/ready").status_code != 503:
                assert time.monotonic() < deadline, "readiness never turned 503"
                time.sleep(0.05)
            assert client.get("/health").status_code == 200  # still alive, still serving
            assert client.get("/api/v1/me").status_code == 401
            assert client.get("/health/ready").json()["output"] == "draining"
        assert api.process.wait(timeout=30) == 0
    log = (tmp_path / "api-0.log").read_text()
    assert "api_draining" in log
