"""``orion backup create | verify``: verified backups as the schema owner (DATABASE_MIGRATION_URL).

In development without a database URL they use the embedded database, as ``orion db`` does.
Output names the file, its size, the time taken and every table's rows; never a password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from orion.entrypoints.bootstrap import configure_process_logging, settings_or_exit
from orion.entrypoints.local_services import needs_local_database, start_local_database
from orion.ops.backup import DEFAULT_SCHEMAS, BackupManifest, create_backup, default_output
from orion.ops.backup_tools import BackupError
from orion.ops.backup_verify import VerifyReport, verify_backup

backup_app = typer.Typer(
    help="Backups: pg_dump with row counts, verified by a restore.", no_args_is_help=True
)
_console = Console(width=140)
_errors = Console(stderr=True, width=140)


@contextmanager
def _owner_url() -> Iterator[str]:
    settings = settings_or_exit()
    configure_process_logging(settings)
    if needs_local_database(settings):
        local = start_local_database(settings, migrate=False)
        try:
            yield local.owner_url
        finally:
            local.stop_if_started_here()
        return
    if settings.database.migration_url is None:
        typer.echo("DATABASE_MIGRATION_URL (the schema owner) is required for backups.", err=True)
        raise typer.Exit(2)
    yield settings.database.migration_url.get_secret_value()


def _size(count: int) -> str:
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count} B"


def print_created(path: Path, manifest: BackupManifest) -> None:
    table = Table(title=f"backup {path}")
    table.add_column("Table", style="bold")
    table.add_column("Rows", justify="right")
    for name, rows in manifest.tables.items():
        table.add_row(name, str(rows))
    _console.print(table)
    for warning in manifest.warnings:
        _errors.print(f"[yellow]warning[/yellow]: {warning}")
    _console.print(
        f"[green]backup written[/green]: {path} ({_size(manifest.bytes)}) in "
        f"{manifest.seconds:.2f}s; database {manifest.database} (PostgreSQL "
        f"{manifest.server_version.split()[0]}), revision {manifest.alembic_revision}, "
        f"{len(manifest.tables)} tables, {sum(manifest.tables.values())} rows; "
        f"client {manifest.client}; manifest {path.name}.json"
    )


def print_verified(report: VerifyReport) -> None:
    table = Table(title=f"verify {report.file}")
    table.add_column("Table", style="bold")
    table.add_column("At dump", justify="right")
    table.add_column("Restored", justify="right")
    table.add_column("")
    for check in report.tables:
        mark = "[green]ok[/green]" if check.ok else "[bold red]MISMATCH[/bold red]"
        at_dump = "-" if check.at_dump is None else str(check.at_dump)
        restored = "-" if check.restored is None else str(check.restored)
        table.add_row(check.table, at_dump, restored, mark)
    if report.tables:
        _console.print(table)
    for note in report.notes:
        _console.print(f"note: {note}")
    if report.ok:
        _console.print(
            f"[green]verified[/green]: {report.file} restores to {len(report.tables)} tables "
            f"with the counts and revision ({report.restored_revision}) of the backup, in "
            f"{report.seconds:.2f}s ({report.client})"
        )
        return
    _errors.print(f"[bold red]backup verification FAILED[/bold red]: {report.file}")
    for problem in report.problems:
        _errors.print(f"  - {problem}")


def _verify(owner_url: str, dump: Path, timeout: float) -> bool:
    report = verify_backup(owner_url, dump, tool_seconds=timeout)
    print_verified(report)
    return report.ok


@backup_app.command("create")
def create(
    output: Annotated[
        Path | None, typer.Option(help="Dump file (default .orion/backups/orion-<UTC time>.dump).")
    ] = None,
    verify: Annotated[bool, typer.Option(help="Restore it into a scratch database.")] = False,
    schema: Annotated[
        list[str] | None, typer.Option(help="Schema to dump (repeatable; default public).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds pg_dump/pg_restore may take.")] = 3600.0,
) -> None:
    """pg_dump -Fc with a client matching the server, plus a manifest of row counts."""
    path = output or default_output()
    with _owner_url() as owner_url:
        try:
            schemas = schema or DEFAULT_SCHEMAS
            manifest = create_backup(owner_url, path, schemas=schemas, tool_seconds=timeout)
            print_created(path, manifest)
            ok = _verify(owner_url, path, timeout) if verify else True
        except BackupError as exc:
            _errors.print(f"[bold red]backup failed[/bold red]: {exc}")
            raise typer.Exit(1) from None
    if not ok:
        raise typer.Exit(1)


@backup_app.command("verify")
def verify_command(
    file: Annotated[Path, typer.Argument(help="A dump written by `orion backup create`.")],
    timeout: Annotated[float, typer.Option(help="Seconds pg_restore may take.")] = 3600.0,
) -> None:
    """Restore FILE into a scratch database; compare tables, row counts and revision."""
    with _owner_url() as owner_url:
        try:
            ok = _verify(owner_url, file, timeout)
        except BackupError as exc:
            _errors.print(f"[bold red]backup verification FAILED[/bold red]: {exc}")
            raise typer.Exit(1) from None
    if not ok:
        raise typer.Exit(1)
