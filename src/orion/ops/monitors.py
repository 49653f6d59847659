"""``orion monitors render``: Better Stack uptime monitors from ``config/monitors.yml``.

The YAML names each monitor once, with a target (``api`` or ``dashboard``) and a path; the
environment supplies the base URLs and its overrides. Rendering produces the JSON bodies for
Better Stack's monitor API, so creating or updating monitors is a loop over this output, and a
test can check that every monitored API path is a route of the app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from orion.platform.config import project_root
from orion.platform.environment import Environment

monitors_app = typer.Typer(help="Uptime monitors (Better Stack).", no_args_is_help=True)

#: Keys of ``monitors.yml`` entries that describe the monitor for us, not for Better Stack.
_OUR_KEYS = frozenset({"key", "name", "target", "path"})


class MonitorsError(ValueError):
    """``monitors.yml`` is not usable (missing environment, target or field)."""


@dataclass(frozen=True)
class Monitor:
    key: str
    target: str
    path: str
    payload: dict[str, Any]


def default_path() -> Path:
    return project_root() / "config" / "monitors.yml"


def load(path: Path | None = None) -> dict[str, Any]:
    document = yaml.safe_load((path or default_path()).read_text())
    if not isinstance(document, dict) or not isinstance(document.get("monitors"), list):
        raise MonitorsError("monitors.yml needs 'environments', 'defaults' and 'monitors'")
    return document


def render(env: Environment, document: dict[str, Any]) -> list[Monitor]:
    """Every monitor of ``document`` for ``env``, as Better Stack API payloads."""
    environment = document.get("environments", {}).get(env.value)
    if not isinstance(environment, dict):
        raise MonitorsError(f"monitors.yml has no environment {env.value!r}")
    defaults: dict[str, Any] = document.get("defaults") or {}
    overrides: dict[str, Any] = environment.get("overrides") or {}
    rendered = []
    for entry in document["monitors"]:
        target, path = entry.get("target"), entry.get("path", "/")
        base = environment.get(target)
        if not isinstance(base, str):
            raise MonitorsError(f"monitor {entry.get('key')!r}: no {target!r} URL for {env.value}")
        own = {key: value for key, value in entry.items() if key not in _OUR_KEYS}
        payload = {
            **defaults,
            **overrides,
            **own,  # the most specific wins: a warning monitor never calls, even in production
            "url": base.rstrip("/") + path,
            "pronounceable_name": f"{entry['name']} ({env.value})",
        }
        if "monitor_type" not in payload:
            raise MonitorsError(f"monitor {entry.get('key')!r} has no monitor_type")
        rendered.append(Monitor(str(entry["key"]), str(target), str(path), payload))
    return rendered


@monitors_app.command("render")
def render_command(
    env: Annotated[Environment, typer.Option(help="Environment whose URLs to use.")],
    file: Annotated[Path | None, typer.Option(help="Monitors file.")] = None,
) -> None:
    """Print the Better Stack API payloads (a JSON list) for one environment."""
    try:
        monitors = render(env, load(file))
    except (MonitorsError, OSError, yaml.YAMLError) as exc:
        typer.echo(f"orion monitors: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(json.dumps([monitor.payload for monitor in monitors], indent=2))
