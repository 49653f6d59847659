"""Webhook inbox metrics: what arrived, what was refused and why, how far processing lags.

:class:`WebhookMetrics` is created once per process on its registry (the API puts one on
``app.state.webhook_metrics``) and called by the receiving and processing code. Labels are
bounded: providers are the known ones and rejection reasons a fixed set; anything else is
counted as ``other``, so no caller can blow up the number of series.

:class:`WebhookBacklog` samples the outbox (events stored but not yet handed to Temporal)
through the ``orion_webhook_backlog()`` database function every few seconds, rather than at
scrape time: a scrape must not wait on the database, and the database load stays fixed however
often Prometheus scrapes. A growing depth or age means Temporal is unreachable or the relay is
stuck; the last-sample timestamp shows when the numbers themselves went stale.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import text

from orion.platform.db import Database

_log = structlog.get_logger("orion.webhooks.metrics")

PROVIDERS = frozenset({"stripe", "hubspot"})
REJECT_REASONS = frozenset(
    {
        "missing_signature",
        "invalid_signature",
        "stale_timestamp",
        "unknown_connection",
        "malformed_payload",
        "unsupported_event",
    }
)
#: From receipt to the processed effect: seconds normally, minutes while Temporal is down.
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
_BACKLOG = text(
    "SELECT undispatched, COALESCE(EXTRACT(EPOCH FROM now() - oldest_received_at), 0) "
    "FROM orion_webhook_backlog()"
)


def _provider(value: str) -> str:
    return value if value in PROVIDERS else "other"


class WebhookMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received_total = Counter(
            "orion_webhooks_received",
            "Webhook deliveries verified and stored.",
            ["provider"],
            registry=registry,
        )
        self.rejected_total = Counter(
            "orion_webhooks_rejected",
            "Webhook deliveries refused, by reason.",
            ["provider", "reason"],
            registry=registry,
        )
        self.duplicate_total = Counter(
            "orion_webhooks_duplicate",
            "Webhook deliveries of an event already stored (acknowledged, not processed again).",
            ["provider"],
            registry=registry,
        )
        self.processing_lag = Histogram(
            "orion_webhook_processing_lag_seconds",
            "Time from receiving a webhook to having processed it.",
            ["provider"],
            buckets=LAG_BUCKETS,
            registry=registry,
        )

    def received(self, provider: str) -> None:
        self.received_total.labels(_provider(provider)).inc()

    def rejected(self, provider: str, reason: str) -> None:
        label = reason if reason in REJECT_REASONS else "other"
        self.rejected_total.labels(_provider(provider), label).inc()

    def duplicate(self, provider: str) -> None:
        self.duplicate_total.labels(_provider(provider)).inc()

    def processed(self, provider: str, lag_seconds: float) -> None:
        self.processing_lag.labels(_provider(provider)).observe(max(0.0, lag_seconds))


class WebhookBacklog:
    """The outbox depth and age as gauges, refreshed from the database periodically."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.depth = Gauge(
            "orion_webhook_outbox_depth",
            "Webhook events stored but not yet dispatched to Temporal.",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.oldest_age = Gauge(
            "orion_webhook_outbox_oldest_age_seconds",
            "Age of the oldest undispatched webhook event (0 when there is none).",
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.sampled_at = Gauge(
            "orion_webhook_outbox_sampled_timestamp_seconds",
            "Unix time of the last successful outbox sample.",
            registry=registry,
            multiprocess_mode="livemax",
        )

    async def refresh(self, database: Database) -> None:
        async with database.system_transaction() as session:
            row = (await session.execute(_BACKLOG)).one()
        self.depth.set(int(row[0]))
        self.oldest_age.set(float(row[1]))
        self.sampled_at.set(time.time())

    async def run(self, database: Database, interval_seconds: float = 15.0) -> None:
        """Refresh forever (a background task of the API); failures keep the last values."""
        while True:
            try:
                await self.refresh(database)
            except Exception as exc:  # the database may be down; readiness reports that
                _log.warning("webhook_backlog_sample_failed", error=type(exc).__name__)
            await asyncio.sleep(interval_seconds)
