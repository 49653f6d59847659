"""The ``orion`` command: every process and operation starts here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from orion import package_version
from orion.entrypoints.bootstrap import configure_process_logging, settings_or_exit
from orion.entrypoints.db_cli import db_app
from orion.entrypoints.local_services import (
    needs_local_database,
    start_local_database,
    use_local_database,
)
from orion.entrypoints.secrets_cli import secrets_app, token_app
from orion.ops.config_check import ENV_FILES, check, parity
from orion.platform.config import project_root
from orion.platform.environment import Environment

app = typer.Typer(
    help="Orion: unified customers and invoices from Stripe and HubSpot.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Check settings before they reach a deploy.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(secrets_app, name="secrets")
app.add_typer(token_app, name="token")

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
    """Serve the HTTP API."""
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
    uvicorn.run(
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
    if local is not None:
        local.stop_if_started_here()


@app.command()
def up() -> None:
    """Start Orion on development defaults (for now the API; see the README)."""
    api(host=None, port=None, workers=None)


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
