"""The release helpers behind ``orion guard`` options and ``orion ops wait-release``."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from orion.entrypoints.cli import app
from orion.ops.release import live_release, parse_duration, wait_for_release
from orion.ops.steps import run_shell, run_step

runner = CliRunner()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90), ("90s", 90), ("15m", 900), ("1.5h", 5400), ("250ms", 0.25), (" 2m ", 120)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "m", "-5s", "5 minutes", "1h30m"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_guard_rejects_a_bad_duration_before_watching() -> None:
    result = runner.invoke(app, ["guard", "http://127.0.0.1:9", "--duration", "soon"])
    assert result.exit_code == 2
    assert "not a duration" in result.output


def health_server(releases: list[str | None]) -> httpx.Client:
    """/health answering the given release ids one after another (None: 503)."""

    def handle(_request: httpx.Request) -> httpx.Response:
        release = releases.pop(0) if len(releases) > 1 else releases[0]
        if release is None:
            return httpx.Response(503, json={"status": "fail"})
        return httpx.Response(200, json={"status": "pass", "releaseId": release})

    return httpx.Client(transport=httpx.MockTransport(handle))


def test_live_release_reads_health() -> None:
    assert live_release(health_server(["abc123"]), "http://api/") == "abc123"
    assert live_release(health_server([None]), "http://api") is None


def test_wait_for_release_polls_until_the_new_build_serves() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = health_server(["old", None, "old", "new"])
    seen = wait_for_release(
        client, "http://api", "new", timeout=60, interval=5, clock=lambda: now[0], sleep=sleep
    )
    assert seen == "new"
    assert slept == [5, 5, 5]


def test_wait_for_release_gives_up_at_the_timeout() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    seen = wait_for_release(
        health_server(["old"]), "http://api", "new", timeout=20, interval=5,
        clock=lambda: now[0], sleep=sleep,
    )  # fmt: skip
    assert seen == "old"
    assert now[0] == 20


def test_steps_capture_output_and_exit_codes() -> None:
    ok = run_shell("echo rolled back; exit 0", timeout=10)
    assert (ok.ok, ok.exit_code, ok.output_tail) == (True, 0, "rolled back\n")
    failed = run_shell("echo oops >&2; exit 3", timeout=10)
    assert (failed.ok, failed.exit_code, failed.error) == (False, 3, "exited with 3")
    assert "oops" in failed.output_tail
    missing = run_step(["/nonexistent/rollback"], timeout=10)
    assert not missing.ok and missing.error is not None and "could not start" in missing.error


def gone(pid: int) -> bool:
    """Exited (a zombie counts: a container's PID 1 may never reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] in ("Z", "X")
    except FileNotFoundError:
        return True


def test_a_step_that_hangs_is_killed_with_everything_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "background.pid"
    result = run_shell(f"sleep 300 & echo $! > {pid_file}; sleep 300", timeout=0.5)
    assert not result.ok and result.error == "timed out after 0.5s"
    background = int(pid_file.read_text())
    for _ in range(50):  # SIGKILL is immediate, the kernel's bookkeeping nearly so
        if gone(background):
            break
        time.sleep(0.1)
    assert gone(background), "the background child outlived the timed-out step"


def test_a_background_child_does_not_hold_the_step_open(tmp_path: Path) -> None:
    # The child inherits the output file; waiting for a pipe's end would time this step out.
    pid_file = tmp_path / "background.pid"
    try:
        result = run_shell(f"sleep 30 & echo $! > {pid_file}; echo started", timeout=5)
        assert result.ok and result.output_tail == "started\n"
    finally:
        with contextlib.suppress(ProcessLookupError, ValueError, FileNotFoundError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_step_output_is_redacted_before_it_reaches_a_report() -> None:
    token = "sk_live_51Hx9GkQ2pR7mN4vL8tY3wZ"
    result = run_shell(f"echo 'railway said: Authorization: Bearer abc.def.ghi key={token}'", 10)
    assert result.ok
    assert token not in result.output_tail and "abc.def.ghi" not in result.output_tail
