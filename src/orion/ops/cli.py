"""Typer commands for release operations: ``orion guard`` and ``orion ops ...``."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import httpx
import typer

from orion.ops.guard import Guard, GuardSettings, GuardTools
from orion.ops.guard_rules import Thresholds
from orion.ops.guard_sources import MetricsSource, PrometheusSource, ScrapeSource, probe_health
from orion.ops.proxy_cli import proxy_command, wait_ready_command
from orion.ops.release import live_release, parse_duration, wait_for_release
from orion.ops.steps import run_shell, run_smoke
from orion.ops.vercel import PRODUCTION_BACKEND, render_vercel_json

ops_app = typer.Typer(help="Release tooling used by the deploy scripts.", no_args_is_help=True)
ops_app.command("proxy")(proxy_command)
ops_app.command("wait-ready")(wait_ready_command)


def _seconds(value: str | float) -> float:
    if isinstance(value, int | float):  # a default, already in seconds
        return float(value)
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


#: Seconds, or a duration such as ``90s``, ``15m``, ``1h``.
Duration = Annotated[float, typer.Option(parser=_seconds, metavar="DURATION")]


def guard_command(
    url: Annotated[str, typer.Argument(help="Base URL of the release, e.g. https://api...")],
    duration: Duration = 900.0,
    interval: Duration = 10.0,
    window: Duration = 60.0,
    health_path: str = "/health/ready",
    health_window: Duration = 120.0,
    error_window: Duration = 60.0,
    latency_window: Duration = 60.0,
    max_error_rate: Annotated[float, typer.Option(min=0, max=1)] = 0.05,
    max_p95: Annotated[float, typer.Option(min=0, help="Seconds.")] = 3.0,
    min_requests: Annotated[int, typer.Option(min=1, help="Fewer = no data.")] = 20,
    metrics_path: str = "/metrics",
    metrics_token: Annotated[str | None, typer.Option(envvar="METRICS_TOKEN")] = None,
    prometheus: Annotated[str | None, typer.Option(help="Prometheus base URL.")] = None,
    prometheus_selector: Annotated[str, typer.Option(help='e.g. job="orion-api"')] = "",
    prometheus_token: Annotated[str | None, typer.Option(envvar="PROMETHEUS_TOKEN")] = None,
    rollback_command: Annotated[str | None, typer.Option(help="Shell command.")] = None,
    rollback_timeout: Duration = 600.0,
    smoke_timeout: Duration = 300.0,
    timeout: Duration = 5.0,
    report: Annotated[Path | None, typer.Option(help="Write the JSON report here.")] = None,
) -> None:
    """Watch a release; roll it back when health, error rate or p95 break the plan's limits.

    Exit 0 healthy, 1 a trigger fired (rollback run), 2 could not judge the release.
    """
    settings = GuardSettings(
        url=url.rstrip("/"),
        duration=duration,
        interval=interval,
        window=window,
        health_path=health_path,
        thresholds=Thresholds(
            health_window=health_window,
            error_window=error_window,
            latency_window=latency_window,
            max_error_rate=max_error_rate,
            max_p95_seconds=max_p95,
            min_requests=min_requests,
        ),
        rollback_command=rollback_command,
    )
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        source: MetricsSource
        if prometheus:
            source = PrometheusSource(
                client, prometheus, settings.window, prometheus_selector, prometheus_token
            )
        else:
            source = ScrapeSource(
                client, settings.url + metrics_path, settings.window, metrics_token
            )
        tools = GuardTools(
            health=partial(probe_health, client, settings.url + health_path),
            metrics=source,
            rollback=partial(run_shell, timeout=rollback_timeout),
            smoke=partial(run_smoke, timeout=smoke_timeout),
            say=partial(typer.echo, err=True),
        )
        guard = Guard(settings, tools)
        try:
            code = guard.run()
        finally:
            if report is not None:
                guard.report.write(report)
    typer.echo(f"guard: {guard.report.outcome} (exit {code})", err=True)
    for note in guard.report.notes:
        typer.echo(f"guard: {note}", err=True)
    raise typer.Exit(code)


@ops_app.command("render-vercel")
def render_vercel(
    backend_url: Annotated[str, typer.Option(help="Backend the rewrites point at.")] = (
        PRODUCTION_BACKEND
    ),
    output: Annotated[Path | None, typer.Option(help="File to write (default stdout).")] = None,
    check: Annotated[bool, typer.Option(help="Exit 1 if OUTPUT differs instead.")] = False,
) -> None:
    """Print vercel.json for the dashboard (security headers taken from the API)."""
    try:
        text = render_vercel_json(backend_url)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if output is None:
        typer.echo(text, nl=False)
        return
    if check:
        current = output.read_text() if output.is_file() else ""
        if current != text:
            typer.echo(f"{output} is stale: run `orion ops render-vercel --output {output}`")
            raise typer.Exit(1)
        return
    output.write_text(text)


@ops_app.command("release-id")
def release_id(url: Annotated[str, typer.Argument(help="Base URL of the API.")]) -> None:
    """Print the releaseId /health reports (recorded before a deploy, to verify a rollback)."""
    with httpx.Client(timeout=10.0) as client:
        live = live_release(client, url)
    if live is None:
        typer.echo(f"{url}/health did not report a releaseId", err=True)
        raise typer.Exit(1)
    typer.echo(live)


@ops_app.command("wait-release")
def wait_release(
    url: Annotated[str, typer.Argument(help="Base URL of the API.")],
    release_id: Annotated[str, typer.Option(envvar="RELEASE_ID", help="Expected releaseId.")],
    timeout: Duration = 600.0,
    interval: Duration = 5.0,
) -> None:
    """Wait until /health reports RELEASE_ID (the new build is serving); exit 1 on timeout."""
    with httpx.Client(timeout=10.0) as client:
        seen = wait_for_release(client, url, release_id, timeout=timeout, interval=interval)
    if seen != release_id:
        typer.echo(f"{url} still serves {seen or 'nothing'} after {timeout:g}s", err=True)
        raise typer.Exit(1)
    typer.echo(f"{url} serves {release_id}")
