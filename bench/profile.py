"""Sampling profiles of a benchmarked process with py-spy, summarised as text.

``--profile DIR`` on a benchmark records the server while it is under load (py-spy attaches
to the running process: nothing in Orion changes), writes the collapsed stacks to
``DIR/<name>.txt`` (load them into speedscope or flamegraph.pl) and prints the functions that
hold the most samples, inclusive of what they call, so the hot path is visible in the run log.

    uv run python -m bench.profile DIR/orion.txt     # summarise a recorded profile again
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

_FRAME = re.compile(r"^(?P<function>.+?) \((?P<file>.+?)(?::\d+)?\)$")


@contextmanager
def recording(pid: int, out: Path | None, rate: int = 250) -> Iterator[None]:
    """Sample ``pid`` (idle frames excluded) for the duration of the block."""
    if out is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    out.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw",
         "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        yield
    finally:
        process.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        _, errors = process.communicate(timeout=60)
        if process.returncode not in (0, -2) and not out.exists():
            raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace')[-500:]}")


class CpuMeter:
    """CPU seconds (user + system) that named processes spend during a block of the run.

    Tells what limits a figure on a shared machine: the process that is busy while the
    others wait. ``postgres`` counts every server process (they come and go with connections)
    and ``temporal`` the dev server, found by name.
    """

    COUNTED_BY_NAME = ("postgres", "temporal")

    def __init__(self, processes: dict[str, int]) -> None:
        self._pids = processes
        self._before: dict[str, float] = {}
        self.spent: dict[str, float] = {}

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        try:
            times = process.cpu_times()
        except psutil.Error:
            return 0.0
        return float(times.user + times.system)

    def _sample(self) -> dict[str, float]:
        found = {name: self._cpu(psutil.Process(pid)) for name, pid in self._pids.items()}
        for name in self.COUNTED_BY_NAME:
            found[name] = 0.0
        for process in psutil.process_iter(["name"]):
            if process.info["name"] in self.COUNTED_BY_NAME:
                found[process.info["name"]] += self._cpu(process)
        return found

    def __enter__(self) -> CpuMeter:
        self._before = self._sample()
        return self

    def __exit__(self, *_exc: object) -> None:
        after = self._sample()
        self.spent = {name: round(after[name] - self._before.get(name, 0.0), 2) for name in after}


def _short(frame: str) -> str:
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['function']} ({path})"


def summarise(path: Path, top: int = 30) -> str:
    """The functions present in the most samples (inclusive), with their own (self) share."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [_short(frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return f"{path}: no samples"
    lines = [f"{path.name}: {total} samples (busy only)", f"{'incl':>6} {'self':>6}  function"]
    for frame, count in inclusive.most_common(top):
        lines.append(f"{count / total:>6.1%} {own[frame] / total:>6.1%}  {frame}")
    lines.append("top self time:")
    for frame, count in own.most_common(12):
        lines.append(f"{count / total:>6.1%}  {frame}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    print(summarise(args.profile, args.top))


if __name__ == "__main__":
    main()
