"""``orion config check`` and ``orion config parity``: catch bad settings before a deploy does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from orion.platform.config import read_settings
from orion.platform.config_rules import Problem, check_settings, problems_from_validation
from orion.platform.environment import Environment

_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
ENV_FILES = ("development.env", "staging.env.example", "production.env.example")


def check(env: Environment | None, env_file: Path | None) -> list[Problem]:
    """Every problem with the settings this environment and file would produce."""
    if env_file is not None and not env_file.is_file():
        return [Problem("--env-file", f"{env_file} does not exist")]
    try:
        settings = read_settings(env, env_file)
    except ValidationError as exc:
        return problems_from_validation(exc)
    return check_settings(settings)


def variable_names(path: Path) -> list[str]:
    """Names assigned in an env file, in order (comments and blank lines ignored)."""
    names = []
    for line in path.read_text().splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            names.append(match.group(1))
    return names


@dataclass(frozen=True)
class ParityGap:
    variable: str
    missing_from: tuple[str, ...]


def parity(directory: Path) -> list[ParityGap]:
    """Variables that are not named in every environment's file (a parity break)."""
    files = {name: set(variable_names(directory / name)) for name in ENV_FILES}
    every = set().union(*files.values())
    gaps = []
    for variable in sorted(every):
        missing = tuple(name for name, names in files.items() if variable not in names)
        if missing:
            gaps.append(ParityGap(variable, missing))
    return gaps
