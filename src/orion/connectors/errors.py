"""The classified failures a connector may raise, so callers decide by class, not by text.

Callers (Temporal activities) retry ``RateLimited`` after ``retry_after`` and ``Transient`` with
backoff, and stop on ``BadCredentials`` (the connection needs re-authorisation) and
``Permanent``. Messages are written for the person who owns the connection and never contain
the credential.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import ClassVar


class ConnectorError(Exception):
    """Base of every failure a connector reports."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadCredentials(ConnectorError):
    """The provider rejected the credential; retrying cannot help, the user must act."""


class RateLimited(ConnectorError):
    """The provider asked us to slow down; try again after ``retry_after`` seconds."""

    retryable = True

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(0.0, retry_after)

    def __reduce__(self) -> tuple[type[RateLimited], tuple[str, float]]:
        return (type(self), (self.message, self.retry_after))


class Transient(ConnectorError):
    """A failure that may pass: 5xx, timeouts, connection resets."""

    retryable = True


class Permanent(ConnectorError):
    """A failure that will repeat: a rejected request, a redirect, an answer we cannot read."""


class NotFound(Permanent):
    """The provider does not know the object; ``fetch`` answers ``None`` for it."""


def redact(text: str, secret: str) -> str:
    """Remove a credential from text that may have echoed it (provider error messages)."""
    return text.replace(secret, "[redacted]") if secret else text


def retry_after_seconds(value: str | None, default: float, now: datetime) -> float:
    """A ``Retry-After`` header (seconds or an HTTP date) as seconds to wait, else ``default``."""
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else default
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
