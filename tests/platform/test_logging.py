"""Canary secrets pushed through every logging path never reach the output."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from orion.entrypoints.api import create_app
from orion.platform.logging import configure_logging
from tests.fixtures.http import asgi_client
from tests.fixtures.settings import SettingsFactory, production_values

CANARY_KEY = "sk_live_CANARYcanary0123456789"
CANARY_TOKEN = "Mt6rQ1zX8vB3nK7p"  # METRICS_TOKEN in production_values()
CANARY_EMAIL = "canary.person@example.org"
CANARY_CARD = "4000 0566 5566 5556"


@pytest.fixture
def captured() -> io.StringIO:
    return io.StringIO()


async def test_canaries_never_reach_logs(
    settings_factory: SettingsFactory, captured: io.StringIO
) -> None:
    settings = settings_factory(
        "production", **(production_values() | {"STRIPE_API_KEY": CANARY_KEY})
    )
    configure_logging(level="DEBUG", json=True, secrets=settings.secret_values(), stream=captured)
    app = create_app(settings)

    @app.post("/echo")
    async def echo() -> None:
        structlog.get_logger("test").info(
            "handling", email=CANARY_EMAIL, card=CANARY_CARD, note=f"key is {CANARY_KEY}"
        )
        logging.getLogger("thirdparty").warning("stdlib says token=%s", CANARY_TOKEN)
        raise ValueError(f"failed for {CANARY_EMAIL} with {CANARY_KEY} and {CANARY_CARD}")

    async with asgi_client(app, host="api-prod.railway.app") as client:
        response = await client.post(
            f"/echo?api_key={CANARY_KEY}",
            headers={"Authorization": f"Bearer {CANARY_TOKEN}", "Cookie": f"s={CANARY_TOKEN}"},
            content=f'{{"email": "{CANARY_EMAIL}"}}',
        )
    assert response.status_code == 500
    output = captured.getvalue()
    records = [json.loads(line) for line in output.splitlines()]
    assert any(r["event"] == "unhandled_error" and "ValueError" in r["exception"] for r in records)
    assert any(r["event"] == "handling" for r in records)
    assert any(r["logger"] == "thirdparty" for r in records)
    for canary in (CANARY_KEY, CANARY_TOKEN, CANARY_EMAIL, CANARY_CARD, "4000056655665556"):
        assert canary not in output
    assert canary not in response.text


def test_console_format_in_development_is_readable_and_redacted(captured: io.StringIO) -> None:
    configure_logging(level="INFO", json=False, secrets=["hunter2-secret"], stream=captured)
    structlog.get_logger("dev").info("connected", password_hint="hunter2-secret", user="ada")
    line = captured.getvalue()
    assert "connected" in line and "user=ada" in line
    assert "hunter2-secret" not in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_forged_log_lines_are_impossible(captured: io.StringIO) -> None:
    configure_logging(level="INFO", json=False, secrets=[], stream=captured)
    structlog.get_logger("dev").info("request", path="/a\n2026-01-01 [error] forged")
    assert len(captured.getvalue().strip().splitlines()) == 1


def test_log_level_filters(captured: io.StringIO) -> None:
    configure_logging(level="WARNING", json=True, secrets=[], stream=captured)
    structlog.get_logger("x").info("hidden")
    structlog.get_logger("x").warning("shown")
    events = [json.loads(line)["event"] for line in captured.getvalue().splitlines()]
    assert events == ["shown"]
