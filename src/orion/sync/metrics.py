"""Sync metrics: pages, records and time per page, and the provider's 429s.

Created once per worker process on the registry it exposes, and handed to
``SyncActivities(metrics=...)`` (which calls :meth:`SyncMetrics.page` and
:meth:`SyncMetrics.rate_limited`). Labels are ``provider`` (stripe/hubspot) and ``kind``
(customers/invoices...), both from enums, so the number of series stays small. A rising
``orion_sync_provider_rate_limited_total`` with flat pages means a provider is throttling us;
page duration shows whether the provider or our database is slow.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

#: A page is one provider call plus one transaction: usually well under a second.
PAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
#: A whole sync run: seconds for an incremental one, up to hours for a first full sync.
RUN_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0)


class SyncMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        labels = ["provider", "kind"]
        self.pages = Counter(
            "orion_sync_pages", "Pages fetched and applied.", labels, registry=registry
        )
        self.records = Counter(
            "orion_sync_records", "Records upserted from fetched pages.", labels, registry=registry
        )
        self.page_duration = Histogram(
            "orion_sync_page_duration_seconds",
            "Time to fetch one page and apply it in one transaction.",
            labels,
            buckets=PAGE_BUCKETS,
            registry=registry,
        )
        self.provider_rate_limited = Counter(
            "orion_sync_provider_rate_limited",
            "Provider answers 429 (Too Many Requests) during syncs.",
            labels,
            registry=registry,
        )
        self.runs = Counter(
            "orion_sync_runs",
            "Finished sync runs, by outcome (succeeded/failed/cancelled).",
            [*labels, "outcome"],
            registry=registry,
        )
        self.run_duration = Histogram(
            "orion_sync_run_duration_seconds",
            "Wall-clock time of a sync run, from start to finish.",
            labels,
            buckets=RUN_BUCKETS,
            registry=registry,
        )

    def page(self, provider: str, kind: str, records: int, seconds: float) -> None:
        self.pages.labels(provider, kind).inc()
        self.records.labels(provider, kind).inc(records)
        self.page_duration.labels(provider, kind).observe(seconds)

    def rate_limited(self, provider: str, kind: str) -> None:
        self.provider_rate_limited.labels(provider, kind).inc()

    def run_finished(self, provider: str, kind: str, outcome: str, seconds: float) -> None:
        self.runs.labels(provider, kind, outcome).inc()
        self.run_duration.labels(provider, kind).observe(seconds)
