"""Running the guard's follow-up steps (rollback command, smoke test) as child processes.

Output goes to a temporary file, not a pipe: a rollback that starts a server in the background
keeps a pipe open forever, and waiting for its end would hang the guard. Each step runs in its
own process group so a timeout stops everything it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from orion.platform.redaction import Redactor

_TAIL = 4000
#: How Typer/Click say a subcommand does not exist (``orion smoke`` not installed yet).
_NO_SUCH_COMMAND = "No such command"


@dataclass(frozen=True, slots=True)
class StepResult:
    ok: bool
    exit_code: int | None
    seconds: float
    output_tail: str = ""
    error: str | None = None


def run_step(argv: list[str], timeout: float) -> StepResult:
    """Run ``argv``; a non-zero exit, a timeout or a missing program is a failed step."""
    started = time.monotonic()
    with tempfile.TemporaryFile(mode="w+b") as output:
        try:
            process = subprocess.Popen(
                argv, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        except OSError as exc:
            return StepResult(False, None, 0.0, error=f"could not start {argv[0]}: {exc}")
        try:
            code: int | None = process.wait(timeout=timeout)
            error = None if code == 0 else f"exited with {code}"
        except subprocess.TimeoutExpired:
            _kill_group(process)
            code, error = None, f"timed out after {timeout:g}s"
        output.seek(0)
        # The tail goes into a report kept as a CI artifact: no token may survive in it.
        tail = Redactor().text(output.read().decode(errors="replace")[-_TAIL:])
    return StepResult(code == 0, code, round(time.monotonic() - started, 3), tail, error)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_shell(command: str, timeout: float) -> StepResult:
    """An operator-supplied shell command string (``--rollback-command``)."""
    return run_step(["/bin/sh", "-c", command], timeout)


def run_smoke(url: str, timeout: float) -> StepResult:
    """``orion smoke URL`` with this interpreter; a build without it is reported, not ignored."""
    result = run_step([sys.executable, "-m", "orion", "smoke", url], timeout)
    if not result.ok and _NO_SUCH_COMMAND in result.output_tail:
        return StepResult(
            False,
            result.exit_code,
            result.seconds,
            result.output_tail,
            "smoke unavailable: this build has no `orion smoke` command",
        )
    return result
