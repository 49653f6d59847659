"""`orion emulator serve` as a real process: prints the demo keys, serves, stops on SIGINT."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx

from orion.emulator.state import DEMO_HUBSPOT_ACCESS_TOKEN, DEMO_STRIPE_API_KEY

LAUNCH = "from orion.emulator.cli import emulator_app; emulator_app(prog_name='orion emulator')"


def test_serve_prints_keys_serves_and_stops() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LAUNCH,
            "serve",
            "--port",
            "0",
            "--customers",
            "5",
            "--invoices",
            "5",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(9)]
        match = re.search(r"listening on (http://\S+)", lines[0])
        assert match, lines
        url = match.group(1)
        printed = "".join(lines)
        assert DEMO_STRIPE_API_KEY in printed
        assert DEMO_HUBSPOT_ACCESS_TOKEN in printed

        customers = httpx.get(
            f"{url}/v1/customers", headers={"Authorization": f"Bearer {DEMO_STRIPE_API_KEY}"}
        )
        assert len(customers.json()["data"]) == 5

        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0
        assert "emulator stopped" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
