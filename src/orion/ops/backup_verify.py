"""``orion backup verify FILE``: a backup counts only once it has been restored.

The dump is restored into a scratch database on the same server (``orion_verify_<random>``,
dropped afterwards whatever happens), and the restored copy must hold exactly what the
manifest counted at dump time: the same tables, the same row count in each, the same Alembic
revision. The file's SHA-256 must match too. Every discrepancy is reported, not just the first.

A restore with a client newer than the server (the fallback of
:func:`orion.ops.backup_tools.choose_tools`) may send session settings the older server does
not know (pg_restore 17+ sets ``transaction_timeout``). Only that error, on a ``SET``, is
tolerated, and only then; any other restore error fails the verification.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from orion.ops.backup import (
    BackupManifest,
    alembic_revision,
    connect,
    file_sha256,
    quote_ident,
    table_counts,
)
from orion.ops.backup_tools import (
    BackupError,
    Connection,
    PgTools,
    ToolResult,
    choose_tools,
    installed_tools,
    run_tool,
)
from orion.platform.db import with_database
from orion.platform.migrations import head_revision

_ERROR = re.compile(r"^pg_restore: error: (.*)$", re.MULTILINE)
_UNKNOWN_SETTING = re.compile(
    r'unrecognized configuration parameter "(\w+)"\s*\nCommand was: SET \1 ', re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class TableCheck:
    table: str
    at_dump: int | None
    restored: int | None

    @property
    def ok(self) -> bool:
        return self.at_dump is not None and self.at_dump == self.restored


@dataclass
class VerifyReport:
    file: Path
    manifest: BackupManifest | None
    client: str = ""
    restored: bool = False
    tables: list[TableCheck] = field(default_factory=list)
    restored_revision: str | None = None
    code_head: str | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def restore_errors(result: ToolResult, *, newer_client: bool) -> tuple[list[str], list[str]]:
    """(problems, notes) from a pg_restore run; see the module doc for what is tolerated."""
    if result.code == 0:
        return [], []
    errors = _ERROR.findall(result.stderr)
    tolerated = _UNKNOWN_SETTING.findall(result.stderr) if newer_client else []
    if newer_client and errors and len(tolerated) == len(errors):
        names = ", ".join(sorted(set(tolerated)))
        return [], [f"the older server does not know the setting(s) {names}; ignored"]
    return [f"restore failed: pg_restore exited with {result.code}: {result.stderr[-1500:]}"], []


def compare(report: VerifyReport, restored: dict[str, int]) -> None:
    manifest = report.manifest
    expected = manifest.tables if manifest else {}
    for table in sorted(set(expected) | set(restored)):
        check = TableCheck(table, expected.get(table), restored.get(table))
        report.tables.append(check)
        if manifest is None or check.ok:
            continue
        if check.restored is None:
            report.problems.append(f"{table}: missing from the restored copy")
        elif check.at_dump is None:
            report.problems.append(f"{table}: in the restored copy but not in the manifest")
        else:
            report.problems.append(
                f"{table}: {check.at_dump} rows at dump time, {check.restored} restored"
            )
    if manifest is not None and manifest.alembic_revision != report.restored_revision:
        report.problems.append(
            f"migration revision: {manifest.alembic_revision} at dump time, "
            f"{report.restored_revision} restored"
        )


def _restore_argv(tools: PgTools, exact: bool, target_url: str, dump: Path) -> list[str]:
    argv = [tools.program("pg_restore"), "--no-owner", "--clean", "--if-exists", "--no-password"]
    if exact:  # all or nothing, stop at the first error
        argv += ["--exit-on-error", "--single-transaction"]
    return [*argv, f"--dbname={target_url}", str(dump)]


async def _restore_and_count(
    owner_url: str,
    dump: Path,
    report: VerifyReport,
    candidates: list[PgTools] | None,
    tool_seconds: float,
) -> None:
    connection = Connection.from_url(owner_url)
    conn = await connect(owner_url, connection)
    try:
        server_major = conn.get_server_version().major
        tools = choose_tools(server_major, candidates or installed_tools())
        report.client = tools.describe()
        if tools.warning:
            report.notes.append(tools.warning)
        scratch = f"orion_verify_{secrets.token_hex(6)}"
        await conn.execute(f"CREATE DATABASE {quote_ident(scratch)} TEMPLATE template0")
        try:
            target_url = with_database(owner_url, scratch)
            target = Connection.from_url(target_url)
            argv = _restore_argv(tools, tools.major == server_major, target.url, dump)
            result = await asyncio.to_thread(run_tool, argv, target, tool_seconds)
            problems, notes = restore_errors(result, newer_client=tools.major > server_major)
            report.problems += problems
            report.notes += notes
            if problems:
                return
            report.restored = True
            copy = await connect(target_url, target)
            try:
                async with copy.transaction(isolation="repeatable_read", readonly=True):
                    schemas = report.manifest.schemas if report.manifest else ["public"]
                    restored = await table_counts(copy, schemas)
                    report.restored_revision = await alembic_revision(copy)
            finally:
                await copy.close()
            compare(report, restored)
        finally:
            await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(scratch)} WITH (FORCE)")
    except asyncpg.PostgresError as exc:
        raise BackupError(connection.redactor.text(f"{type(exc).__name__}: {exc}")) from None
    finally:
        await conn.close()


def verify_backup(
    owner_url: str,
    dump: Path,
    *,
    tool_seconds: float = 3600.0,
    candidates: list[PgTools] | None = None,
) -> VerifyReport:
    """Restore ``dump`` into a scratch database and compare it with its manifest."""
    if not dump.is_file():
        raise BackupError(f"{dump}: no such file")
    started = time.monotonic()
    try:
        manifest: BackupManifest | None = BackupManifest.read(dump)
    except BackupError as exc:
        manifest = None
        problems = [str(exc)]
    else:
        problems = []
    report = VerifyReport(dump, manifest, problems=problems, code_head=head_revision())
    if manifest is not None and file_sha256(dump) != manifest.sha256:
        report.problems.append("checksum mismatch: the file changed since the backup was written")
    asyncio.run(_restore_and_count(owner_url, dump, report, candidates, tool_seconds))
    if manifest is not None and manifest.alembic_revision != report.code_head:
        report.notes.append(
            f"backup is at revision {manifest.alembic_revision}; this code's head is "
            f"{report.code_head} (expected when the backup precedes a migration)"
        )
    report.seconds = round(time.monotonic() - started, 3)
    return report
