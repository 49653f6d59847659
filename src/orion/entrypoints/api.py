"""The API process: ``create_app(settings)`` builds a fully configured FastAPI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog
from fastapi import FastAPI

from orion import package_version
from orion.activity import api as activity_api
from orion.connections import api as connections_api
from orion.entrypoints.bootstrap import configure_process_logging, settings_or_exit
from orion.live import api as live_api
from orion.platform.chaos import ChaosMiddleware
from orion.platform.client_ip import ClientAddress
from orion.platform.config import Settings
from orion.platform.db_isolation import isolation_problems
from orion.platform.error_handlers import install_error_handlers
from orion.platform.fast_lane import OrionFastAPI
from orion.platform.health import health_router
from orion.platform.health_checks import api_health_monitor
from orion.platform.heap import freeze_startup_heap
from orion.platform.liveness import liveness_router
from orion.platform.metrics import HttpMetrics, build_info, metrics_router, new_registry
from orion.platform.ratelimit import rate_limiter
from orion.platform.ratelimit_middleware import RateLimitMiddleware
from orion.platform.request_middleware import RequestContextMiddleware
from orion.platform.resources import Resources, open_resources
from orion.platform.security import (
    BodyLimitMiddleware,
    CompressionMiddleware,
    JsonCORSMiddleware,
    SecurityHeadersMiddleware,
    TrustedHostMiddleware,
    security_policy,
)
from orion.platform.sentry import init_sentry
from orion.platform.shutdown import DrainState
from orion.platform.static_files import DashboardFiles
from orion.records import api as records_api
from orion.sync import api as sync_api
from orion.sync.schedules import TemporalSyncSchedules
from orion.tenants import api as tenants_api
from orion.webhooks import api as webhooks_api
from orion.webhooks.metrics import WebhookBacklog, WebhookMetrics

_log = structlog.get_logger("orion.api")


def _allowed_hosts(settings: Settings) -> list[str]:
    if not settings.trusted_hosts:
        return []  # development without a list: any host (refused when deployed)
    return [*settings.trusted_hosts, settings.api.health_check_host, "localhost", "127.0.0.1"]


async def check_isolation(resources: Resources) -> None:
    """Deployed environments refuse to serve if RLS cannot hold; development only warns."""
    if resources.database is None:
        return
    problems = await isolation_problems(resources.database.engine)
    if problems and resources.settings.env.deployed:
        raise RuntimeError("tenant isolation is not guaranteed: " + "; ".join(problems))
    for problem in problems:
        _log.warning("tenant_isolation_weak", problem=problem)


def create_app(
    settings: Settings,
    resources: Resources | None = None,
    *,
    drain: DrainState | None = None,
    freeze_heap: bool = False,
) -> FastAPI:
    """The API. ``resources`` are built (and closed) by the app unless the caller owns them.

    ``drain`` tells readiness when the server is shutting down (see platform/shutdown.py).
    ``freeze_heap``: the app owns its process (a server worker), so what start-up built is
    frozen out of the collector's reach (platform/heap.py); never in a process that builds
    many apps, such as the tests, where frozen garbage would never be freed.
    """
    version = package_version()
    registry = new_registry()
    http_metrics = HttpMetrics(registry)
    build_info(registry, version, settings.release_id)
    limiter = rate_limiter(settings, registry)
    backlog = WebhookBacklog(registry)
    drain = drain or DrainState()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _log.info("api_starting", env=settings.env.value, release=settings.release_id)
        owned = resources is None
        app.state.resources = resources or await open_resources(
            settings, "orion-api", registry=registry
        )
        database = app.state.resources.database
        sampler = asyncio.create_task(backlog.run(database)) if database is not None else None
        temporal = app.state.resources.temporal
        if temporal is not None:
            app.state.sync_schedules = TemporalSyncSchedules(temporal, settings.temporal.task_queue)
        try:
            await check_isolation(app.state.resources)
            if freeze_heap:
                freeze_startup_heap()
            yield
        finally:
            await live_api.close_hub(app)  # end the event streams before their database goes
            if sampler is not None:
                sampler.cancel()
                with suppress(asyncio.CancelledError):
                    await sampler
            await webhooks_api.close_inbox(app)  # drain the group-commit writer first
            await limiter.close()
            if owned:
                await app.state.resources.close()
            _log.info("api_stopped")

    docs = settings.api.docs_enabled
    app = OrionFastAPI(
        title="Orion",
        version=version,
        summary="Unified customers and invoices from Stripe and HubSpot.",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        # FastAPI's built-in OpenTelemetry looks up global providers on every request; Orion
        # exports Prometheus metrics and Sentry errors instead.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    if resources is not None:
        app.state.resources = resources
    app.state.metrics_registry = registry
    app.state.rate_limiter = limiter
    app.state.webhook_metrics = WebhookMetrics(registry)
    app.state.live_hub = live_api.build_hub(settings, drain)
    install_error_handlers(app)
    # Routes match in order: the webhook receivers, the busiest routes, come first.
    app.include_router(webhooks_api.router)
    app.include_router(liveness_router(version, settings.release_id))
    health = api_health_monitor(settings, lambda: getattr(app.state, "resources", None), limiter)
    app.include_router(
        health_router(health, drain, version=version, release_id=settings.release_id)
    )
    token = settings.metrics.token.get_secret_value() if settings.metrics.token else None
    app.include_router(metrics_router(registry, token))
    for router in (tenants_api.router, connections_api.router, records_api.router, sync_api.router):
        app.include_router(router)
    app.include_router(activity_api.router)
    app.include_router(live_api.router)
    app.router.default = DashboardFiles()  # what no route matched: the dashboard's files

    # Added innermost first: the last one added wraps all the others.
    if settings.chaos.error_rate > 0 or settings.chaos.latency_seconds > 0:
        # Innermost, so RequestContextMiddleware counts injected faults (rollback drills).
        app.add_middleware(
            ChaosMiddleware,
            error_rate=settings.chaos.error_rate,
            latency_seconds=settings.chaos.latency_seconds,
        )
    app.add_middleware(CompressionMiddleware, minimum_size=1024)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api.max_body_bytes)
    if settings.ratelimit.enabled:
        # Outside the body limit (refuse before reading), inside CORS (a 429 a browser can read).
        app.add_middleware(
            RateLimitMiddleware,
            limiter=limiter,
            client_address=ClientAddress.from_settings(settings),
        )
    app.add_middleware(
        JsonCORSMiddleware,
        allow_origins=settings.allowed_origins,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=[
            "X-Request-ID",
            "Retry-After",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
        ],
        allow_credentials=False,
        max_age=600,
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=_allowed_hosts(settings))
    app.add_middleware(
        RequestContextMiddleware,
        metrics=http_metrics,
        expose_errors=settings.api.debug and not settings.env.deployed,
    )
    policy = security_policy(hsts=settings.env.deployed)
    app.add_middleware(SecurityHeadersMiddleware, policy=policy)
    # Webhook deliveries: the same middleware but CORS (server-to-server: no browser reads the
    # answer) and compression (a few bytes of JSON), and none of FastAPI's own layers.
    skipped: tuple[object, ...] = (JsonCORSMiddleware, CompressionMiddleware)
    lane = [m for m in app.user_middleware if m.cls not in skipped]
    app.open_fast_lane(webhooks_api.RECEIVERS, lane)
    return app


def app_from_environment() -> FastAPI:
    """Uvicorn factory: each worker process builds its app from the environment."""
    settings = settings_or_exit()
    configure_process_logging(settings)
    init_sentry(settings, component="api")
    return create_app(settings, drain=DrainState.from_environment(), freeze_heap=True)
