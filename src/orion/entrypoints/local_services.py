"""Development without a DATABASE_URL: the embedded Postgres under .orion/, migrated on start."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog

from orion.platform.config import Settings, get_settings, project_root
from orion.platform.embedded_postgres import EmbeddedPostgres
from orion.platform.migrations import upgrade

_log = structlog.get_logger("orion.local")
DATABASE_NAME = "orion"
APP_ROLE = "orion_app"


@dataclass
class LocalDatabase:
    server: EmbeddedPostgres
    owner_url: str
    app_url: str
    started_here: bool
    created: bool

    def stop_if_started_here(self) -> None:
        if self.started_here:
            self.server.stop()
            _log.info("embedded_postgres_stopped", data_dir=str(self.server.data_dir))


def embedded_data_dir(settings: Settings) -> Path:
    path = settings.database.embedded_dir
    return path if path.is_absolute() else project_root() / path


async def _ensure_database(maintenance_url: str, name: str) -> None:
    connection = await asyncpg.connect(maintenance_url)
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def start_local_database(settings: Settings, *, migrate: bool = True) -> LocalDatabase:
    """Start (or reuse) the embedded server, create the database, migrate it."""
    server = EmbeddedPostgres(embedded_data_dir(settings))
    was_running = server.status().running
    status = server.start()
    asyncio.run(_ensure_database(status.url("postgres"), DATABASE_NAME))
    local = LocalDatabase(
        server=server,
        owner_url=status.url(DATABASE_NAME, "postgres"),
        app_url=status.url(DATABASE_NAME, APP_ROLE),
        started_here=not was_running,
        created=status.created,
    )
    state = "created" if status.created else ("reused" if was_running else "started")
    _log.info("embedded_postgres", state=state, data_dir=str(server.data_dir))
    if migrate:
        upgrade(local.owner_url, local.app_url)
    return local


def use_local_database(local: LocalDatabase) -> Settings:
    """Point this process (and the processes it starts) at the embedded database."""
    os.environ["DATABASE_URL"] = local.app_url
    os.environ["DATABASE_MIGRATION_URL"] = local.owner_url
    get_settings.cache_clear()
    return get_settings()


def needs_local_database(settings: Settings) -> bool:
    return settings.database.url is None and not settings.env.deployed
