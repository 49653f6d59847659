"""Structured logging: JSON when deployed, readable in development, always redacted.

Every record — ours through structlog and third-party ones through the standard library
(uvicorn, Temporal, SQLAlchemy) — ends in the same formatter, whose last steps format the
exception, redact and escape. Nothing reaches the stream without passing the redactor.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

import orjson
import structlog
from structlog.typing import Processor

from orion.platform.redaction import Redactor, escape_control_characters

_QUIET_LOGGERS = ("uvicorn.access", "httpx", "httpcore", "hpack", "asyncio")


def _json_line(event: Any, **_options: Any) -> str:
    """orjson instead of json: a fraction of the cost, on every log line."""
    return orjson.dumps(event, default=repr, option=orjson.OPT_NON_STR_KEYS).decode()


def configure_logging(
    *,
    level: str,
    json: bool,
    secrets: list[str],
    stream: IO[str] | None = None,
) -> Redactor:
    """Install the one logging pipeline for this process and return its redactor."""
    redactor = Redactor(secrets)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(serializer=_json_line)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redactor,
            escape_control_characters,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    structlog.configure(
        # Below the level, stop before any work (the access log is one call per request).
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return redactor
