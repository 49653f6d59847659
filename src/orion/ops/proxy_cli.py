"""``orion ops proxy`` and ``orion ops wait-ready``: the self-hosted replacement path.

See :mod:`orion.ops.proxy` for how a release is replaced without a failed request.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
import typer
import uvicorn

from orion.ops.proxy import ProxyApp, new_client
from orion.ops.proxy_backends import BackendPool, wait_until_ready
from orion.platform.logging import configure_logging


def proxy_command(
    backend: Annotated[
        list[str],
        typer.Option(help="Base URL of a release slot (repeat), e.g. http://127.0.0.1:8001."),
    ],
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    check_interval: Annotated[float, typer.Option(min=0.05, help="Seconds between probes.")] = 0.5,
    check_timeout: Annotated[float, typer.Option(min=0.05, help="Seconds per probe.")] = 1.0,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds a backend may take.")] = 60.0,
    max_body_bytes: Annotated[int, typer.Option(min=1, help="Largest request body.")] = 10_485_760,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING...")] = "INFO",
) -> None:
    """Reverse proxy that routes only to ready releases and retries on connection errors.

    Keep every release's API_SHUTDOWN_DRAIN_SECONDS above CHECK_INTERVAL + CHECK_TIMEOUT.
    """
    configure_logging(level=log_level, json=False, secrets=[])
    client = new_client(timeout)
    pool = BackendPool(backend, client, interval=check_interval, probe_timeout=check_timeout)
    app = ProxyApp(pool, client, max_body_bytes=max_body_bytes)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        date_header=False,  # the backend's Date header passes through
        timeout_graceful_shutdown=int(timeout),
    )
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        raise typer.Exit(1)


def wait_ready_command(
    url: Annotated[str, typer.Argument(help="Base URL of a release, e.g. http://127.0.0.1:8002")],
    timeout: Annotated[float, typer.Option(min=0, help="Seconds to wait.")] = 120.0,
) -> None:
    """Wait until URL/health/ready answers 200 (a new release may take traffic); exit 1 if not."""

    async def wait() -> bool:
        async with httpx.AsyncClient(trust_env=False) as client:
            return await wait_until_ready(client, url, deadline_seconds=timeout)

    if not asyncio.run(wait()):
        typer.echo(f"{url}/health/ready did not pass within {timeout:g}s", err=True)
        raise typer.Exit(1)
    typer.echo(f"{url} is ready")
