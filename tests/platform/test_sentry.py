"""Errors reach Sentry without secrets: canaries through webhook and API paths never leak.

Sentry's real HTTP transport sends to a local server acting as the DSN endpoint, so the test
sees exactly the bytes that would leave the process. The same requests are logged through the
process's logging pipeline, which must not leak them either.
"""

from __future__ import annotations

import gzip
import io
import threading
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
import structlog
from fastapi import FastAPI, Request

from orion.entrypoints.api import create_app
from orion.platform.auth import mint_development_token
from orion.platform.logging import configure_logging
from orion.platform.resources import build_resources
from orion.platform.sentry import init_sentry, sentry_enabled, stop_sentry
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory, production_values

STRIPE_KEY = "sk_test_CANARYstripeKey93"
HUBSPOT_SECRET = "hubspot-CANARY-client-secret-41"
WEBHOOK_SECRET = "whsec_CANARYwebhookSecret77"
DATABASE_PASSWORD = "CANARYdbPassw0rd"
CUSTOMER_EMAIL = "jane.CANARY@example.com"


class DsnEndpoint:
    """A Sentry ingest endpoint on loopback that keeps every envelope it receives."""

    def __init__(self) -> None:
        self.envelopes: list[str] = []
        received = self.envelopes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                received.append(body.decode("utf-8", "replace"))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.dsn = f"http://publickey@127.0.0.1:{self._server.server_address[1]}/1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def endpoint() -> Iterator[DsnEndpoint]:
    server = DsnEndpoint()
    try:
        yield server
    finally:
        stop_sentry()
        server.close()


def with_leaky_routes(app: FastAPI) -> FastAPI:
    log = structlog.get_logger("orion.test.leaky")

    @app.post("/api/v1/leaky-webhooks/stripe/{connection_id}")  # beside the real receiver
    async def webhook(connection_id: str, request: Request) -> None:
        body = (await request.body()).decode()
        log.warning(
            "webhook_rejected",
            connection_id=connection_id,
            signing_secret=WEBHOOK_SECRET,
            detail=f"secret {WEBHOOK_SECRET} did not match for {body}",
        )
        raise RuntimeError(f"signature check with {WEBHOOK_SECRET} failed for payload {body}")

    @app.get("/api/v1/boom")
    async def boom(request: Request) -> None:
        log.info("calling_provider", api_key=STRIPE_KEY, query=str(request.url.query))
        raise ValueError(
            f"provider refused key {STRIPE_KEY} and secret {HUBSPOT_SECRET}; "
            f"auth was {request.headers.get('authorization')}; "
            f"db postgresql://orion:{DATABASE_PASSWORD}@db.internal/orion"
        )

    return app


async def test_canaries_never_reach_sentry_or_the_logs(
    endpoint: DsnEndpoint, settings_factory: SettingsFactory
) -> None:
    settings = settings_factory(
        "development",
        SENTRY_DSN=endpoint.dsn,
        SENTRY_IN_DEVELOPMENT="true",
        STRIPE_API_KEY=STRIPE_KEY,
        HUBSPOT_CLIENT_SECRET=HUBSPOT_SECRET,
        DATABASE_URL=f"postgresql://orion:{DATABASE_PASSWORD}@127.0.0.1:1/orion",
        API_DEBUG="false",
    )
    logs = io.StringIO()
    configure_logging(level="INFO", json=True, secrets=settings.secret_values(), stream=logs)
    assert init_sentry(settings, component="api")
    assert not sentry_sdk.get_client().should_send_default_pii()
    resources = build_resources(settings, "orion-sentry-test")
    app = with_leaky_routes(create_app(settings, resources))
    secret = settings.supabase.jwt_secret
    assert secret is not None
    token = mint_development_token(
        secret.get_secret_value(),
        uuid.uuid4(),
        ttl_seconds=600,
        audience="authenticated",
        tenant_claim="app_metadata.tenant_id",
    )
    try:
        async with asgi_client(app) as client:
            hook = await client.post(
                f"/api/v1/leaky-webhooks/stripe/{uuid.uuid4()}?token={WEBHOOK_SECRET}",
                content=f'{{"email": "{CUSTOMER_EMAIL}", "key": "{STRIPE_KEY}"}}',
                headers={
                    "Stripe-Signature": f"t=1,v1=deadbeef,secret={WEBHOOK_SECRET}",
                    "Content-Type": "application/json",
                },
            )
            boom = await client.get(
                f"/api/v1/boom?api_key={STRIPE_KEY}&email={CUSTOMER_EMAIL}",
                headers={"Authorization": f"Bearer {token}", "Cookie": f"session={HUBSPOT_SECRET}"},
            )
        assert hook.status_code == boom.status_code == 500
        assert "CANARY" not in hook.text + boom.text
        sentry_sdk.flush(timeout=10)
    finally:
        await app.state.rate_limiter.close()
        await resources.close()

    events = [e for e in endpoint.envelopes if '"type":"event"' in e.replace(" ", "")]
    assert len(events) >= 2, endpoint.envelopes  # both failures were reported
    sent = "\n".join(endpoint.envelopes)
    assert "RuntimeError" in sent and "ValueError" in sent
    assert "webhook_rejected" in sent  # the log line travelled as a breadcrumb
    logged = logs.getvalue()
    assert "unhandled_error" in logged and "webhook_rejected" in logged
    for text in (sent, logged):
        for canary in (STRIPE_KEY, HUBSPOT_SECRET, WEBHOOK_SECRET, DATABASE_PASSWORD, token):
            assert canary not in text
        assert "CANARY" not in text
    assert "[REDACTED]" in sent  # scrubbed, not merely absent


def test_nothing_is_sent_from_development_unless_asked(settings_factory: SettingsFactory) -> None:
    dsn = "http://publickey@127.0.0.1:9/1"
    assert not sentry_enabled(settings_factory("development"))
    assert not sentry_enabled(settings_factory("development", SENTRY_DSN=dsn))
    assert not init_sentry(settings_factory("development", SENTRY_DSN=dsn), component="api")
    assert not sentry_sdk.get_client().is_active()
    assert sentry_enabled(
        settings_factory("development", SENTRY_DSN=dsn, SENTRY_IN_DEVELOPMENT="1")
    )
    assert sentry_enabled(settings_factory("production", **production_values(), SENTRY_DSN=dsn))
    assert not sentry_enabled(settings_factory("production", **production_values()))
