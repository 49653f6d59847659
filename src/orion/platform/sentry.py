"""Errors to Sentry, scrubbed by the same redactor as the logs.

Called by each process's entry point (never at import): nothing is sent without
``SENTRY_DSN``, and nothing from development unless ``SENTRY_IN_DEVELOPMENT=true``.

What leaves the process is limited twice. First by what the SDK collects: no default PII
(``send_default_pii`` stays at its default, off: no cookies, user IPs or auth headers; the SDK's
own denylist scrubber stays on), no request bodies (webhook payloads are customer data), and no
local variables in stack frames (a local may hold a decrypted tenant credential, which no
pattern recognises). Then every event, transaction and
breadcrumb passes :class:`~orion.platform.redaction.Redactor` built from
``settings.secret_values()``: the configured secrets by value, secret-shaped strings (keys,
bearer tokens, JWTs, DSN passwords), emails and card numbers, in headers, query strings,
exception messages and log breadcrumbs alike.
"""

from __future__ import annotations

import logging
from typing import Any

import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
from sentry_sdk.transport import Transport

from orion.platform.config import Settings
from orion.platform.redaction import Redactor


def sentry_enabled(settings: Settings) -> bool:
    if settings.sentry.dsn is None:
        return False
    return settings.env.deployed or settings.sentry.in_development


class Scrubber:
    """``before_send`` / ``before_send_transaction`` / ``before_breadcrumb`` in one place."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

    def event(self, event: Any, _hint: Any) -> Any:
        return self._redactor.value(event)

    def breadcrumb(self, crumb: Any, _hint: Any) -> Any:
        return self._redactor.value(crumb)


def init_sentry(settings: Settings, *, component: str, transport: Transport | None = None) -> bool:
    """Start error reporting for this process if the settings ask for it; True if started."""
    if not sentry_enabled(settings) or settings.sentry.dsn is None:
        return False
    scrubber = Scrubber(Redactor(settings.secret_values()))
    sentry_sdk.init(
        dsn=settings.sentry.dsn.get_secret_value(),
        environment=settings.env.value,
        release=settings.release_id,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=settings.sentry.traces_sample_rate,
        before_send=scrubber.event,
        before_send_transaction=scrubber.event,
        before_breadcrumb=scrubber.breadcrumb,
        integrations=[
            StarletteIntegration(),
            FastApiIntegration(),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        transport=transport,
    )
    sentry_sdk.set_tag("component", component)
    return True


def stop_sentry() -> None:
    """Flush and detach the client (process exit, and tests that start Sentry)."""
    client = sentry_sdk.get_client()
    if client.is_active():
        client.close(timeout=2)
    sentry_sdk.get_global_scope().set_client(None)
