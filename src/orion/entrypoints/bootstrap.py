"""What every Orion process does first: validated settings and the logging pipeline."""

from __future__ import annotations

import sys

from orion.platform.config import Settings, get_settings
from orion.platform.config_rules import ConfigError
from orion.platform.logging import configure_logging


def settings_or_exit() -> Settings:
    """Refuse to start on bad settings, printing every problem at once."""
    try:
        return get_settings()
    except ConfigError as exc:
        print(f"orion: refusing to start.\n{exc}", file=sys.stderr)
        raise SystemExit(2) from None


def configure_process_logging(settings: Settings) -> None:
    json = settings.log.format == "json" or (settings.log.format is None and settings.env.deployed)
    configure_logging(level=settings.log.level, json=json, secrets=settings.secret_values())
