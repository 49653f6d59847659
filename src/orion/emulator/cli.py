"""`orion emulator serve`: the emulator as a foreground process (demo keys printed)."""

from __future__ import annotations

import signal
import sys
import threading
from types import FrameType

import typer

from orion.emulator.server import EmulatorServer
from orion.emulator.state import (
    DEMO_HUBSPOT_ACCESS_TOKEN,
    DEMO_HUBSPOT_APP_ID,
    DEMO_HUBSPOT_CLIENT_SECRET,
    DEMO_HUBSPOT_PORTAL_ID,
    DEMO_STRIPE_API_KEY,
    DEMO_STRIPE_WEBHOOK_SECRET,
    EmulatorState,
)

emulator_app = typer.Typer(
    help="Local Stripe- and HubSpot-compatible API servers.", no_args_is_help=True
)


@emulator_app.callback()
def emulator() -> None:
    """Keeps `serve` a subcommand (`orion emulator serve`) even as the only command."""


@emulator_app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(12111, help="Port to bind (0 picks a free one)."),
    customers: int = typer.Option(200, min=0, help="Demo Stripe customers / HubSpot contacts."),
    invoices: int = typer.Option(400, min=0, help="Demo invoices per provider."),
    seed: int = typer.Option(0, help="Seed of the demo data."),
) -> None:
    """Serve the emulator with the demo account and portal until Ctrl-C."""
    state = EmulatorState.demo(customers=customers, invoices=invoices, seed=seed)
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with EmulatorServer(state, host=host, port=port) as server:
        # Plain lines (no wrapping), so scripts and tests can parse them.
        lines = [
            f"Orion provider emulator listening on {server.url}",
            f"  Stripe API base        {server.url}",
            f"  Stripe secret key      {DEMO_STRIPE_API_KEY}",
            f"  Stripe webhook secret  {DEMO_STRIPE_WEBHOOK_SECRET}",
            f"  HubSpot API base       {server.url}",
            f"  HubSpot access token   {DEMO_HUBSPOT_ACCESS_TOKEN}",
            f"  HubSpot client secret  {DEMO_HUBSPOT_CLIENT_SECRET}",
            f"  HubSpot portal / app   {DEMO_HUBSPOT_PORTAL_ID} / {DEMO_HUBSPOT_APP_ID}",
            f"  Admin API              {server.url}/_emulator/state",
        ]
        for line in lines:
            typer.echo(line)
        sys.stdout.flush()
        while not stopped.wait(0.5):
            pass
    typer.echo("emulator stopped")
