"""``orion backup create``: a ``pg_dump -Fc`` of the schema owner's view, with a manifest.

A dump alone cannot say whether it is complete. So the row count of every table and the
Alembic revision are read *in the same snapshot* the dump is taken from: one REPEATABLE READ
transaction exports its snapshot (``pg_export_snapshot()``), counts, and keeps it open while
``pg_dump --snapshot`` dumps exactly that state, concurrent writes or not. The counts, the
revision and the file's SHA-256 go into a sidecar ``<file>.json``, which ``orion backup
verify`` checks a restored copy against (:mod:`orion.ops.backup_verify`).

Counting runs with ``row_security = off``, as pg_dump does: a role that row-level security
would filter fails loudly instead of counting (and dumping) a tenant-less zero.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from orion.ops.backup_tools import (
    BackupError,
    Connection,
    PgTools,
    choose_tools,
    installed_tools,
    run_tool,
)
from orion.platform.db import libpq_url

MANIFEST_FORMAT = "orion-backup/1"
#: Orion's tables live in ``public``; Supabase backs up its own schemas (auth, storage...).
DEFAULT_SCHEMAS = ("public",)
_TABLES = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[])
  AND NOT EXISTS (  -- tables an extension owns are not dumped with a schema
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""


@dataclass(frozen=True)
class BackupManifest:
    """The sidecar JSON: what the dump must contain, as counted at dump time."""

    file: str
    bytes: int
    sha256: str
    created_at: str
    seconds: float
    database: str
    server_version: str
    client: str
    schemas: list[str]
    alembic_revision: str | None
    tables: dict[str, int]
    warnings: list[str] = field(default_factory=list)
    format: str = MANIFEST_FORMAT

    def write(self, dump: Path) -> Path:
        path = manifest_path(dump)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        path.chmod(0o600)
        return path

    @classmethod
    def read(cls, dump: Path) -> BackupManifest:
        path = manifest_path(dump)
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            if data.get("format") != MANIFEST_FORMAT:
                raise BackupError(f"{path}: not an {MANIFEST_FORMAT} manifest")
            return cls(**data)
        except FileNotFoundError:
            raise BackupError(f"no manifest {path}: nothing to compare the restore with") from None
        except (ValueError, TypeError) as exc:
            raise BackupError(f"{path} is not a valid manifest: {exc}") from None


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".json")


def default_output(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(".orion") / "backups" / f"orion-{stamp}.dump"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def connect(url: str, connection: Connection) -> asyncpg.Connection:
    """asyncpg connection whose failure message carries no password."""
    try:
        return await asyncpg.connect(libpq_url(url), timeout=30)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = connection.redactor.text(f"{type(exc).__name__}: {exc}")
        raise BackupError(f"cannot connect to the database: {message}") from None


async def table_counts(conn: asyncpg.Connection, schemas: Sequence[str]) -> dict[str, int]:
    """``schema.table -> rows`` for every dumped table; call inside a transaction."""
    await conn.execute("SET LOCAL row_security = off")
    counts: dict[str, int] = {}
    for schema, table in await conn.fetch(_TABLES, list(schemas)):
        name = f"{quote_ident(schema)}.{quote_ident(table)}"
        rows = await conn.fetchval(f"SELECT count(*) FROM {name}")  # noqa: S608 - quoted names
        counts[f"{schema}.{table}"] = int(rows)
    return counts


async def alembic_revision(conn: asyncpg.Connection) -> str | None:
    if await conn.fetchval("SELECT to_regclass('alembic_version')") is None:
        return None
    rows = await conn.fetch("SELECT version_num FROM alembic_version ORDER BY 1")
    return ",".join(row[0] for row in rows) or None


@dataclass(frozen=True)
class _Dumped:
    server_version: str
    tools: PgTools
    revision: str | None
    tables: dict[str, int]


async def _dump(
    owner_url: str,
    output: Path,
    schemas: Sequence[str],
    tool_seconds: float,
    candidates: list[PgTools] | None,
) -> _Dumped:
    connection = Connection.from_url(owner_url)
    conn = await connect(owner_url, connection)
    try:
        tools = choose_tools(conn.get_server_version().major, candidates or installed_tools())
        server_version = str(await conn.fetchval("SHOW server_version"))
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            tables = await table_counts(conn, schemas)
            revision = await alembic_revision(conn)
            argv = [
                tools.program("pg_dump"),
                "--format=custom",
                f"--snapshot={snapshot}",
                "--no-password",
                "--strict-names",
                *(f"--schema={schema}" for schema in schemas),
                f"--file={output}",
                f"--dbname={connection.url}",
            ]
            # The exporting transaction stays open while pg_dump reads its snapshot.
            result = await asyncio.to_thread(run_tool, argv, connection, tool_seconds)
            result.check()
    except asyncpg.PostgresError as exc:
        raise BackupError(connection.redactor.text(f"{type(exc).__name__}: {exc}")) from None
    finally:
        await conn.close()
    return _Dumped(server_version, tools, revision, tables)


def create_backup(
    owner_url: str,
    output: Path,
    *,
    schemas: Sequence[str] = DEFAULT_SCHEMAS,
    tool_seconds: float = 3600.0,
    candidates: list[PgTools] | None = None,
) -> BackupManifest:
    """Dump the database behind ``owner_url`` to ``output`` and write its manifest."""
    started = time.monotonic()
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        dumped = asyncio.run(_dump(owner_url, output, schemas, tool_seconds, candidates))
    except BackupError:
        output.unlink(missing_ok=True)  # never leave a partial dump that looks like a backup
        raise
    os.chmod(output, 0o600)  # customer data: readable by its owner only
    manifest = BackupManifest(
        file=output.name,
        bytes=output.stat().st_size,
        sha256=file_sha256(output),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        seconds=round(time.monotonic() - started, 3),
        database=Connection.from_url(owner_url).database,
        server_version=dumped.server_version,
        client=dumped.tools.describe(),
        schemas=list(schemas),
        alembic_revision=dumped.revision,
        tables=dumped.tables,
        warnings=[dumped.tools.warning] if dumped.tools.warning else [],
    )
    manifest.write(output)
    return manifest
