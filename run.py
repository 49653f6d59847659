#!/usr/bin/env python3
"""Bootstrap and run Orion on a machine that has nothing but Python 3.11+.

    python3 run.py up [--demo]   start Orion (the `orion up` command)
    python3 run.py test [ARGS]   run the whole test suite (pytest ARGS)
    python3 run.py <anything>    any other `orion` command

It finds `uv` (on PATH, or installs it into .orion/bootstrap with pip), then lets uv create the
virtual environment from uv.lock and run the command in it. Only the standard library is used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
BOOTSTRAP = ROOT / ".orion" / "bootstrap"


def find_uv() -> str:
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    local = BOOTSTRAP / "bin" / "uv"
    if not local.exists():
        print("run.py: installing uv into .orion/bootstrap (one time)...", file=sys.stderr)
        BOOTSTRAP.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", str(BOOTSTRAP), "uv"],
            check=True,
        )  # fmt: skip
    return str(local)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        print("run.py: Orion needs Python 3.11 or newer.", file=sys.stderr)
        return 1
    uv = find_uv()
    if argv[:1] == ["test"]:
        command = [uv, "run", "--frozen", "pytest", *argv[1:]]
    else:
        command = [uv, "run", "--frozen", "orion", *(argv or ["--help"])]
    os.chdir(ROOT)
    os.execv(uv, command)  # replaces this process: signals (Ctrl-C) reach orion directly
    return 0  # pragma: no cover


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
