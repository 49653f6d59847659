"""``orion webhooks replay | reconcile``: the operator's tools for the webhook inbox."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from orion.connectors.errors import ConnectorError
from orion.entrypoints.bootstrap import configure_process_logging, settings_or_exit
from orion.entrypoints.local_services import (
    needs_local_database,
    start_local_database,
    use_local_database,
)
from orion.platform.config import Settings
from orion.platform.resources import Resources, open_resources
from orion.webhooks.dispatch import dispatch
from orion.webhooks.reconcile import NoEventsApi, UnknownConnection, reconcile_stripe
from orion.webhooks.service import Processing, dead_event_ids, replay_many

webhooks_app = typer.Typer(
    help="The webhook inbox: replay dead events, reconcile missed ones.", no_args_is_help=True
)
_console = Console()
_errors = Console(stderr=True)


@contextmanager
def _settings() -> Iterator[Settings]:
    settings = settings_or_exit()
    configure_process_logging(settings)
    local = start_local_database(settings) if needs_local_database(settings) else None
    try:
        yield use_local_database(local) if local is not None else settings
    finally:
        if local is not None:
            local.stop_if_started_here()


def _processing(resources: Resources) -> Processing:
    settings = resources.settings
    return Processing(
        resources.temporal, settings.temporal.task_queue, settings.webhooks.max_attempts
    )


def _parse_since(value: str) -> datetime:
    """Unix seconds or ISO-8601 (UTC when no offset is given)."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("use unix seconds or ISO-8601, e.g. 2026-11-27T10:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@webhooks_app.command("replay")
def replay_command(
    event_ids: Annotated[list[str] | None, typer.Argument(help="Inbox event ids.")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Replay every dead event.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most (with --dead).")] = 1000,
) -> None:
    """Reset processed or dead events to received and process them again."""
    try:
        ids = [uuid.UUID(value) for value in event_ids or []]
    except ValueError:
        raise typer.BadParameter("event ids are UUIDs (the `id` the API shows)") from None
    if not ids and not dead:
        _errors.print("Name event ids, or pass --dead.")
        raise typer.Exit(2)
    with _settings() as settings:
        asyncio.run(_replay(settings, ids, dead, limit))


async def _replay(settings: Settings, ids: list[uuid.UUID], dead: bool, limit: int) -> None:
    resources = await open_resources(settings, "orion-cli")
    try:
        assert resources.database is not None
        if dead:
            ids = [*ids, *await dead_event_ids(resources.database, limit)]
        report = await replay_many(resources.database, ids, _processing(resources))
    finally:
        await resources.close()
    _console.print(
        f"replayed {len(report.replayed)} (dispatched {report.dispatched}, the rest when the "
        f"worker's relay runs); still pending {len(report.pending)}; unknown {len(report.unknown)}"
    )
    for event_id in report.unknown:
        _errors.print(f"unknown event: {event_id}")
    if report.unknown:
        raise typer.Exit(1)


@webhooks_app.command("reconcile")
def reconcile_command(
    connection: Annotated[str, typer.Option("--connection", help="Connection id.")],
    since: Annotated[str, typer.Option("--since", help="Unix seconds or ISO-8601.")],
) -> None:
    """Store and process the provider's events since a time that never arrived as webhooks."""
    try:
        connection_id = uuid.UUID(connection)
    except ValueError:
        raise typer.BadParameter("--connection is a connection id (UUID)") from None
    start = _parse_since(since)
    with _settings() as settings:
        code = asyncio.run(_reconcile(settings, connection_id, start))
    if code:
        raise typer.Exit(code)


async def _reconcile(settings: Settings, connection_id: uuid.UUID, since: datetime) -> int:
    resources = await open_resources(settings, "orion-cli")
    try:
        assert resources.database is not None
        try:
            report = await reconcile_stripe(
                resources.database,
                resources.vault,
                settings,
                resources.http,
                connection_id,
                since,
            )
        except NoEventsApi as exc:
            _errors.print(str(exc))
            return 2
        except UnknownConnection as exc:
            _errors.print(str(exc))
            return 1
        except ConnectorError as exc:
            _errors.print(f"Stripe: {exc.message}")
            return 1
        processing = _processing(resources)
        started = []
        if processing.client is not None and report.new_events:
            started = await dispatch(
                resources.database,
                processing.client,
                processing.task_queue,
                report.new_events,
                processing.max_attempts,
            )
    finally:
        await resources.close()
    _console.print(
        f"found {report.found}, already present {report.already_present}, added {report.added}"
        f" (dispatched {len(started)}; the worker's relay takes the rest)"
    )
    if report.skipped:
        _errors.print(f"{report.skipped} listed event(s) could not be read and were skipped")
    return 0
