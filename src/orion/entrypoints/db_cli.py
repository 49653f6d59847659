"""``orion db upgrade | current | downgrade``: migrations, run as the schema owner."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from orion.entrypoints.bootstrap import configure_process_logging, settings_or_exit
from orion.entrypoints.local_services import needs_local_database, start_local_database
from orion.platform.migrations import MigrationError, current_revision, downgrade, head_revision
from orion.platform.migrations import upgrade as run_upgrade

db_app = typer.Typer(help="Database migrations (run as the schema owner).", no_args_is_help=True)


@contextmanager
def _urls() -> Iterator[tuple[str, str | None]]:
    """(owner URL, app URL): the configured ones, or the embedded database in development."""
    settings = settings_or_exit()
    configure_process_logging(settings)
    if needs_local_database(settings):
        local = start_local_database(settings, migrate=False)
        try:
            yield local.owner_url, local.app_url
        finally:
            local.stop_if_started_here()
        return
    owner = settings.database.migration_url
    if owner is None:
        typer.echo("DATABASE_MIGRATION_URL is required to run migrations.", err=True)
        raise typer.Exit(2)
    app_url = settings.database.url.get_secret_value() if settings.database.url else None
    yield owner.get_secret_value(), app_url


@db_app.command()
def upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate to REVISION (default: the latest), preparing the application role first."""
    with _urls() as (owner, app_url):
        try:
            run_upgrade(owner, app_url, revision)
        except MigrationError as exc:
            typer.echo(f"orion db upgrade: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"database at {asyncio.run(current_revision(owner))}")


@db_app.command()
def current() -> None:
    """Print the database's revision and the code's head revision."""
    with _urls() as (owner, _app):
        at = asyncio.run(current_revision(owner))
        head = head_revision()
        typer.echo(f"database: {at or 'empty'}\ncode head: {head}")
        if at != head:
            raise typer.Exit(1)


@db_app.command("downgrade")
def downgrade_command(revision: Annotated[str, typer.Argument(help="Target, e.g. -1")]) -> None:
    """Migrate down to REVISION (a contract step must never be undone after data moved)."""
    with _urls() as (owner, _app):
        downgrade(owner, revision)
        typer.echo(f"database at {asyncio.run(current_revision(owner)) or 'empty'}")
