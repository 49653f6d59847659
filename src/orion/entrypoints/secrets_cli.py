"""``orion secrets generate-key | rotate`` and ``orion token create``."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from orion.entrypoints.bootstrap import configure_process_logging, settings_or_exit
from orion.entrypoints.local_services import needs_local_database, start_local_database
from orion.ops.secret_rotation import RotationReport, count_pending, rotate
from orion.platform.auth import mint_development_token, parse_duration
from orion.platform.crypto import Vault, generate_key
from orion.platform.db import create_engine

secrets_app = typer.Typer(help="The credential vault's keys.", no_args_is_help=True)
token_app = typer.Typer(help="Development sign-in tokens.", no_args_is_help=True)
_console = Console()


@secrets_app.command("generate-key")
def generate_key_command() -> None:
    """Print a new Fernet key. Put it FIRST in ENCRYPTION_KEYS, keep the old ones after it."""
    typer.echo(generate_key())


@secrets_app.command("rotate")
def rotate_command(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
) -> None:
    """Re-encrypt every stored secret under the primary key (resumable: just run it again)."""
    settings = settings_or_exit()
    configure_process_logging(settings)
    vault = Vault([key.get_secret_value() for key in settings.encryption_keys])
    local = start_local_database(settings) if needs_local_database(settings) else None
    try:
        if local is not None:
            owner_url = local.owner_url
        elif settings.database.migration_url is not None:
            owner_url = settings.database.migration_url.get_secret_value()
        else:
            typer.echo("DATABASE_MIGRATION_URL (the owner) is required to rotate.", err=True)
            raise typer.Exit(2)
        report = asyncio.run(_rotate(owner_url, vault, batch_size))
    finally:
        if local is not None:
            local.stop_if_started_here()
    _print_report(report, vault.primary_key_id)
    if report.undecryptable:
        raise typer.Exit(1)


async def _rotate(owner_url: str, vault: Vault, batch_size: int) -> RotationReport:
    engine = create_engine(owner_url)
    try:
        pending = await count_pending(engine, vault.primary_key_id)
        with Progress(console=_console, transient=True) as progress:
            task = progress.add_task("re-encrypting", total=pending)
            return await rotate(
                engine,
                vault,
                batch_size=batch_size,
                on_batch=lambda done: progress.advance(task, done),
            )
    finally:
        await engine.dispose()


def _print_report(report: RotationReport, primary: str) -> None:
    table = Table(title=f"Secrets per key (primary {primary})")
    table.add_column("key id")
    table.add_column("before", justify="right")
    table.add_column("after", justify="right")
    for key in sorted(set(report.before) | set(report.after)):
        label = f"{key} (primary)" if key == primary else key
        table.add_row(label, str(report.before.get(key, 0)), str(report.after.get(key, 0)))
    _console.print(table)
    _console.print(f"re-encrypted {report.rotated} connection(s)")
    for row_id in report.undecryptable:
        _console.print(f"[red]cannot decrypt connection {row_id} with any configured key[/red]")


@token_app.command("create")
def create_token(
    tenant: Annotated[str, typer.Option(help="Tenant id (a UUID).")],
    ttl: Annotated[str, typer.Option(help="Lifetime: 90s, 30m, 1h, 2d.")] = "1h",
    subject: Annotated[str, typer.Option(help="The token's subject.")] = "orion-developer",
) -> None:
    """Mint an HS256 token like Supabase's for TENANT. Refused outside development."""
    settings = settings_or_exit()
    if settings.env.deployed:
        typer.echo("orion token create only works in development.", err=True)
        raise typer.Exit(2)
    if settings.supabase.jwt_secret is None:
        typer.echo("SUPABASE_JWT_SECRET is not set.", err=True)
        raise typer.Exit(2)
    try:
        tenant_id = uuid.UUID(tenant)
        seconds = parse_duration(ttl)
    except ValueError as exc:
        typer.echo(f"orion token create: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        mint_development_token(
            settings.supabase.jwt_secret.get_secret_value(),
            tenant_id,
            ttl_seconds=seconds,
            audience=settings.supabase.jwt_audience,
            tenant_claim=settings.supabase.tenant_claim,
            subject=subject,
        )
    )
