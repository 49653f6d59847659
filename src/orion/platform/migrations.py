"""``orion db``: migrations run as the schema owner, the application role prepared beside them.

The application connects as a different role than the one that owns the tables (RLS is
meaningless otherwise). ``prepare_app_role`` makes sure the login role named in
``DATABASE_URL`` exists and belongs to ``orion_app_rw``, the group migrations grant to.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from pathlib import Path
from urllib.parse import unquote, urlsplit

import asyncpg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from orion.platform.config import project_root
from orion.platform.db import asyncpg_url, libpq_url

APP_GROUP = "orion_app_rw"


class MigrationError(RuntimeError):
    """Migrations could not run as configured."""


def migrations_dir() -> Path:
    return project_root() / "migrations"


def alembic_config(owner_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["url"] = owner_url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def prepare_app_role(owner_url: str, app_url: str) -> None:
    """Create the application's login role if missing and add it to the app group."""
    app = urlsplit(app_url)
    role = unquote(app.username or "")
    if not role:
        raise MigrationError("DATABASE_URL names no user; the application role is unknown")
    if role == unquote(urlsplit(owner_url).username or "postgres"):
        raise MigrationError(
            "DATABASE_URL and DATABASE_MIGRATION_URL use the same role; the application must "
            "connect as a role that does not own the tables"
        )
    connection = await asyncpg.connect(libpq_url(owner_url))
    try:
        await connection.execute(
            f"""
            DO $$ BEGIN
                CREATE ROLE {APP_GROUP} NOLOGIN NOSUPERUSER NOBYPASSRLS;
            EXCEPTION WHEN duplicate_object THEN NULL;
            END $$;
            """
        )
        exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        if not exists:
            password = unquote(app.password) if app.password else None
            clause = " PASSWORD " + _quote_literal(password) if password else ""
            with suppress(asyncpg.DuplicateObjectError):  # created concurrently elsewhere
                await connection.execute(
                    f"CREATE ROLE {_quote_ident(role)} LOGIN NOSUPERUSER NOBYPASSRLS{clause}"
                )
        await connection.execute(f"GRANT {APP_GROUP} TO {_quote_ident(role)}")
    finally:
        await connection.close()


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def upgrade(owner_url: str, app_url: str | None, revision: str = "head") -> None:
    if app_url:
        asyncio.run(prepare_app_role(owner_url, app_url))
    command.upgrade(alembic_config(owner_url), revision)


def downgrade(owner_url: str, revision: str) -> None:
    command.downgrade(alembic_config(owner_url), revision)


async def current_revision(url: str) -> str | None:
    """The revision a database is at (readable with the application role too)."""
    engine = create_async_engine(asyncpg_url(url))
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(text("SELECT to_regclass('alembic_version')"))
            if exists is None:
                return None
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def sql_statements(script: str) -> list[str]:
    """Split an SQL script on top-level semicolons (asyncpg prepares one statement at a time).

    Dollar-quoted bodies (``$$ ... $$``) are kept whole; ``--`` comments are dropped.
    """
    statements: list[str] = []
    current: list[str] = []
    in_dollar = False
    for line in script.splitlines():
        if not in_dollar and line.strip().startswith("--"):
            continue
        index = 0
        while index < len(line):
            if line.startswith("$$", index):
                in_dollar = not in_dollar
                current.append("$$")
                index += 2
                continue
            char = line[index]
            if char == ";" and not in_dollar:
                statement = "".join(current).strip()
                if statement:
                    statements.append(statement)
                current = []
            else:
                current.append(char)
            index += 1
        current.append("\n")
    tail = "".join(current).strip()
    if tail:
        statements.append(tail)
    return statements
