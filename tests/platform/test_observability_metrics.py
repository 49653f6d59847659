"""Metrics beyond HTTP: webhooks, the outbox, syncs and the vault, on the app's own registry."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from orion.entrypoints.api import create_app
from orion.platform.crypto import Vault, VaultError, generate_key
from orion.platform.db import Database, PoolOptions, create_engine
from orion.platform.metrics import VaultMetrics, new_registry
from orion.platform.resources import build_resources
from orion.sync.metrics import SyncMetrics
from orion.tenants.repository import create_tenant
from orion.webhooks.metrics import WebhookBacklog, WebhookMetrics
from orion.webhooks.models import webhook_events
from tests.fixtures.http import asgi_client
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.records import insert_connection
from tests.fixtures.settings import SettingsFactory


def values(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_webhook_metrics_keep_labels_bounded() -> None:
    registry = new_registry()
    metrics = WebhookMetrics(registry)
    metrics.received("stripe")
    metrics.received("hubspot")
    metrics.rejected("stripe", "invalid_signature")
    metrics.rejected("stripe", "something the caller made up")
    metrics.rejected("evil-provider", "stale_timestamp")
    metrics.duplicate("hubspot")
    metrics.processed("stripe", 1.5)
    found = values(registry)
    assert found[("orion_webhooks_received_total", (("provider", "stripe"),))] == 1
    rejected = (("provider", "stripe"), ("reason", "invalid_signature"))
    assert found[("orion_webhooks_rejected_total", rejected)] == 1
    other = (("provider", "stripe"), ("reason", "other"))
    assert found[("orion_webhooks_rejected_total", other)] == 1
    unknown = (("provider", "other"), ("reason", "stale_timestamp"))
    assert found[("orion_webhooks_rejected_total", unknown)] == 1
    assert found[("orion_webhooks_duplicate_total", (("provider", "hubspot"),))] == 1
    lag = ("orion_webhook_processing_lag_seconds_bucket", (("le", "2.5"), ("provider", "stripe")))
    assert found[lag] == 1


def test_sync_metrics_count_pages_records_time_and_throttling() -> None:
    registry = new_registry()
    metrics = SyncMetrics(registry)
    metrics.page("stripe", "customers", records=100, seconds=0.3)
    metrics.page("stripe", "customers", records=40, seconds=0.2)
    metrics.rate_limited("hubspot", "invoices")
    metrics.run_finished("stripe", "customers", "succeeded", 12.0)
    found = values(registry)
    labels = (("kind", "customers"), ("provider", "stripe"))
    assert found[("orion_sync_pages_total", labels)] == 2
    assert found[("orion_sync_records_total", labels)] == 140
    assert found[("orion_sync_page_duration_seconds_count", labels)] == 2
    throttled = (("kind", "invoices"), ("provider", "hubspot"))
    assert found[("orion_sync_provider_rate_limited_total", throttled)] == 1
    run = (("kind", "customers"), ("outcome", "succeeded"), ("provider", "stripe"))
    assert found[("orion_sync_runs_total", run)] == 1


def test_vault_operations_are_counted_by_outcome() -> None:
    registry = new_registry()
    old = Vault([generate_key()])
    vault = Vault([generate_key(), generate_key()], metrics=VaultMetrics(registry))
    sealed = vault.seal(b"secret")
    assert vault.open(sealed.token) == b"secret"
    vault.reseal(sealed.token)
    with pytest.raises(VaultError):
        vault.open(old.seal(b"x").token)
    with pytest.raises(VaultError):
        vault.reseal(b"tampered")
    found = values(registry)

    def count(op: str, outcome: str) -> float:
        return found[("orion_vault_operations_total", (("op", op), ("outcome", outcome)))]

    assert (count("seal", "ok"), count("open", "ok"), count("reseal", "ok")) == (1, 1, 1)
    assert (count("open", "error"), count("reseal", "error")) == (1, 1)


async def test_the_outbox_depth_comes_from_the_database(fresh_database: TestDatabase) -> None:
    database = Database(create_engine(fresh_database.app_url, PoolOptions(size=2)))
    registry = new_registry()
    backlog = WebhookBacklog(registry)
    try:
        await backlog.refresh(database)
        assert values(registry)[("orion_webhook_outbox_depth", ())] == 0
        tenant = uuid.uuid4()
        async with database.tenant_transaction(tenant) as session:
            await create_tenant(session, tenant, "outbox")
            connection = await insert_connection(session, tenant, Vault([generate_key()]))
            for n in range(3):
                await session.execute(
                    insert(webhook_events).values(
                        tenant_id=tenant,
                        connection_id=connection,
                        provider="stripe",
                        event_id=f"evt_{n}",
                        event_type="customer.updated",
                        payload={},
                        raw_body=b"{}",
                        status="dispatched" if n == 2 else "received",
                    )
                )
        await backlog.refresh(database)
        found = values(registry)
        assert found[("orion_webhook_outbox_depth", ())] == 2
        assert found[("orion_webhook_outbox_oldest_age_seconds", ())] >= 0
        assert found[("orion_webhook_outbox_sampled_timestamp_seconds", ())] > 0
    finally:
        await database.dispose()


async def test_the_app_registers_them_on_its_own_registry(
    settings_factory: SettingsFactory,
) -> None:
    app = create_app(settings_factory("development"))
    app.state.webhook_metrics.received("stripe")
    async with asgi_client(app) as client:
        await client.get("/api/v1/me")
        text = (await client.get("/metrics")).text
    for line in (
        'orion_webhooks_received_total{provider="stripe"} 1.0',
        'orion_ratelimit_decisions_total{budget="read",decision="allowed"} 1.0',
        "orion_webhook_outbox_depth 0.0",
        "orion_ratelimit_fallback_active 0.0",
    ):
        assert line in text


async def test_resources_count_vault_operations_on_the_given_registry(
    settings_factory: SettingsFactory,
) -> None:
    registry = new_registry()
    resources = build_resources(settings_factory("development"), "orion-test", registry=registry)
    try:
        resources.vault.open(resources.vault.seal(b"x").token)
    finally:
        await resources.close()
    found = values(registry)
    assert found[("orion_vault_operations_total", (("op", "open"), ("outcome", "ok")))] == 1
