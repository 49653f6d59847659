"""The ``orion`` command: every process and operation starts here."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from orion import package_version
from orion.emulator.cli import emulator_app
from orion.entrypoints.bootstrap import configure_process_logging, settings_or_exit
from orion.entrypoints.db_cli import db_app
from orion.entrypoints.demo import DEVELOPMENT_TENANT
from orion.entrypoints.local_services import (
    needs_local_database,
    start_local_database,
    use_local_database,
)
from orion.entrypoints.secrets_cli import secrets_app, token_app
from orion.entrypoints.up import run_up
from orion.entrypoints.webhooks_cli import webhooks_app
from orion.entrypoints.worker import run_worker
from orion.ops.backup_cli import backup_app
from orion.ops.cli import guard_command, ops_app
from orion.ops.config_check import ENV_FILES, check, parity
from orion.ops.monitors import monitors_app
from orion.ops.smoke_cli import smoke_command
from orion.platform.auth import mint_development_token
from orion.platform.config import project_root
from orion.platform.environment import Environment
from orion.platform.logging import configure_logging
from orion.platform.sentry import init_sentry
from orion.platform.shutdown import DrainState, drain_file, serve

app = typer.Typer(
    help="Orion: unified customers and invoices from Stripe and HubSpot.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Check settings before they reach a deploy.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(ops_app, name="ops")
app.command("guard")(guard_command)
app.command("smoke")(smoke_command)
app.add_typer(backup_app, name="backup")
app.add_typer(db_app, name="db")
app.add_typer(secrets_app, name="secrets")
app.add_typer(token_app, name="token")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(monitors_app, name="monitors")
app.add_typer(emulator_app, name="emulator")

_console = Console()
_errors = Console(stderr=True)


@app.command()
def version() -> None:
    """Print Orion's version and the release id of this environment."""
    typer.echo(f"orion {package_version()} (release {os.environ.get('RELEASE_ID', 'dev')})")


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Interface (default API_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default API_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Processes (default API_WORKERS).")] = None,
) -> None:
    """Serve the HTTP API. SIGTERM: readiness 503 for API_SHUTDOWN_DRAIN_SECONDS, then stop."""
    settings = settings_or_exit()
    configure_process_logging(settings)
    local = start_local_database(settings) if needs_local_database(settings) else None
    if local is not None:
        settings = use_local_database(local)
    count = workers or settings.api.workers
    if count > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        metrics_dir = Path(".orion") / "metrics" / str(os.getpid())
        metrics_dir.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    config = uvicorn.Config(
        "orion.entrypoints.api:app_from_environment",
        factory=True,
        host=host or settings.api.host,
        port=settings.api.port if port is None else port,
        workers=count,
        timeout_graceful_shutdown=int(settings.api.shutdown_grace_seconds),
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=False,
    )
    with drain_file() as marker:  # platform/shutdown.py: drain first, then uvicorn's stop
        code = serve(config, DrainState(marker), settings.api.shutdown_drain_seconds)
    if local is not None:
        local.stop_if_started_here()
    if code:
        raise typer.Exit(code)


@app.command()
def worker() -> None:
    """Run the Temporal worker (syncs, webhook processing, schedule reconciliation)."""
    settings = settings_or_exit()
    configure_process_logging(settings)
    local = start_local_database(settings) if needs_local_database(settings) else None
    if local is not None:
        settings = use_local_database(local)
    if not settings.temporal.address:
        typer.echo("TEMPORAL_ADDRESS is not set (`orion up` starts a dev server).", err=True)
        raise typer.Exit(2)
    init_sentry(settings, component="worker")
    try:
        asyncio.run(run_worker(settings))
    finally:
        if local is not None:
            local.stop_if_started_here()


@app.command()
def up(
    demo: Annotated[
        bool, typer.Option(help="Also start the emulator, connect and sync it.")
    ] = False,
    host: Annotated[str, typer.Option(help="Interface for the API.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="API port (default API_PORT).")] = None,
    state_dir: Annotated[Path, typer.Option(help="Where data and logs live.")] = Path(".orion"),
) -> None:
    """Start the whole platform: Postgres, Temporal, worker, API (and the emulator with --demo)."""
    settings = settings_or_exit()
    if settings.env.deployed:
        typer.echo("orion up is for development; deploy `orion api` and `orion worker`.", err=True)
        raise typer.Exit(2)
    configure_logging(level="WARNING", json=False, secrets=settings.secret_values())
    secret = settings.supabase.jwt_secret
    if secret is None:
        typer.echo("SUPABASE_JWT_SECRET is needed to mint the development token.", err=True)
        raise typer.Exit(2)

    def token() -> str:
        return mint_development_token(
            secret.get_secret_value(),
            DEVELOPMENT_TENANT,
            ttl_seconds=12 * 3600,
            audience=settings.supabase.jwt_audience,
            tenant_claim=settings.supabase.tenant_claim,
        )

    code = run_up(
        settings,
        demo=demo,
        host=host,
        port=port or settings.api.port,
        state_dir=state_dir,
        console=_console,
        token_for=token,
    )
    raise typer.Exit(code)


@config_app.command("check")
def config_check(
    env: Annotated[Environment | None, typer.Option(help="Rule set (default ORION_ENV).")] = None,
    env_file: Annotated[Path | None, typer.Option(help="Env file to read.")] = None,
) -> None:
    """List every configuration problem; exit 1 if there is any."""
    problems = check(env, env_file)
    if not problems:
        _console.print(f"[green]OK[/green]: no problems for {env.value if env else 'ORION_ENV'}")
        return
    table = Table(title=f"{len(problems)} configuration problem(s)")
    table.add_column("Variable", style="bold")
    table.add_column("Problem")
    for problem in problems:
        table.add_row(problem.variable, problem.message)
    _console.print(table)
    raise typer.Exit(1)


@config_app.command("parity")
def config_parity(
    directory: Annotated[Path | None, typer.Option(help="Folder with the env files.")] = None,
) -> None:
    """Check that all three environment files name the same variables."""
    folder = directory or project_root() / "config" / "environments"
    missing = [name for name in ENV_FILES if not (folder / name).is_file()]
    if missing:
        _errors.print(f"missing env files in {folder}: {', '.join(missing)}")
        raise typer.Exit(1)
    gaps = parity(folder)
    if not gaps:
        _console.print(f"[green]OK[/green]: {', '.join(ENV_FILES)} name the same variables")
        return
    table = Table(title="Environment parity broken")
    table.add_column("Variable", style="bold")
    table.add_column("Missing from")
    for gap in gaps:
        table.add_row(gap.variable, ", ".join(gap.missing_from))
    _console.print(table)
    raise typer.Exit(1)


def main() -> None:
    """Console-script entry point (exits with ``os._exit`` after flushing, see sdk-python#300)."""
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
