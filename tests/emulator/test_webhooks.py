"""Webhook signing (published vectors, official verifiers) and delivery."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
import stripe
from hubspot.utils.signature import Signature

from orion.emulator.churn import ChurnSpec
from orion.emulator.webhooks import (
    hubspot_normalize_uri,
    hubspot_signature_v1,
    hubspot_signature_v3,
    send_account_events,
    send_hubspot_webhooks,
    stripe_signature_header,
)
from tests.emulator.conftest import Receiver
from tests.fixtures.emulator import EmulatorAccounts

SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
DATA = Path(__file__).parent / "data"


def test_hubspot_v3_vector_from_client_tests() -> None:
    signature = hubspot_signature_v3(
        SECRET,
        "POST",
        "https://www.example.com/webhook_uri",
        "{'example_field':'example_value'}",
        "1693657560000",
    )

    assert signature == "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="


def test_hubspot_v3_vector_over_example_events() -> None:
    body = (DATA / "hubspot-webhook-events.example.json").read_bytes().decode()

    signature = hubspot_signature_v3(
        SECRET, "POST", "https://example.com/webhooks/hubspot", body, 1735689720000
    )

    assert signature == "qfsIoVZnfmPwZZ+o16LJYdPUj4HyHKwEcmoIz8OL2kU="


def test_hubspot_v1_legacy_vector() -> None:
    body = (
        '[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
        '"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,'
        '"changeSource":"CRM","changeFlag":"NEW","appId":54321}]'
    )

    assert hubspot_signature_v1(SECRET, body) == (
        "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
    )


def test_hubspot_uri_decoding() -> None:
    assert hubspot_normalize_uri("https://x.test/a%3Ab%2Fc?q=%40%2a%2C") == (
        "https://x.test/a:b/c?q=@*,"
    )


def test_stripe_header_verifies_with_the_sdk_and_rotation() -> None:
    payload = json.dumps({"id": "evt_1", "object": "event"})
    now = int(time.time())
    header = stripe_signature_header(payload, "whsec_old", now, extra_secrets=["whsec_new"])

    assert header.count("v1=") == 2
    assert stripe.WebhookSignature.verify_header(payload, header, "whsec_old", tolerance=300)
    assert stripe.WebhookSignature.verify_header(payload, header, "whsec_new", tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(payload, header, "whsec_other", tolerance=300)


def test_stale_custom_timestamp_is_rejected_by_the_sdk() -> None:
    payload = "{}"
    header = stripe_signature_header(payload, "whsec_x", int(time.time()) - 3600)

    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.WebhookSignature.verify_header(payload, header, "whsec_x", tolerance=300)


async def test_churn_events_are_delivered_signed(
    emulator_accounts: EmulatorAccounts, webhook_receiver: Receiver
) -> None:
    account = emulator_accounts.stripe(customers=40, seed=1)
    assert account.events  # seeded history inside the retention window...
    assert account.take_unsent_events() == []  # ...counts as delivered already
    result = emulator_accounts.state.churn_stripe(
        account.api_key, customers=ChurnSpec(create=2, update=1), seed=1
    )

    deliveries = await send_account_events(account, webhook_receiver.url, concurrency=2)
    again = await send_account_events(account, webhook_receiver.url)

    assert [d.status for d in deliveries] == [200, 200, 200]
    assert again == []
    received = {}
    for request in webhook_receiver.requests:
        event = stripe.Webhook.construct_event(
            request.body.decode(), request.headers["Stripe-Signature"], account.webhook_secret
        )
        received[event.id] = event.type
    assert received == {e.id: e.type for e in result.events}


async def test_hubspot_batches_verify_with_the_official_helper(
    emulator_accounts: EmulatorAccounts, webhook_receiver: Receiver
) -> None:
    portal = emulator_accounts.hubspot(contacts=5, seed=2)
    emulator_accounts.state.churn_hubspot(
        portal.access_token, contacts=ChurnSpec(create=3, delete=2), seed=1
    )
    events = portal.take_unsent_webhooks()

    deliveries = await send_hubspot_webhooks(
        webhook_receiver.url, events, portal.client_secret, batch_size=2, repeat=2
    )

    assert [d.status for d in deliveries] == [200] * 6
    attempts = []
    for request in webhook_receiver.requests:
        body = request.body.decode()
        assert Signature.is_valid(
            signature=request.headers["X-HubSpot-Signature-v3"],
            client_secret=portal.client_secret,
            request_body=body,
            http_uri=webhook_receiver.url,
            http_method="POST",
            signature_version="v3",
            timestamp=request.headers["X-HubSpot-Request-Timestamp"],
        )
        batch = json.loads(body)
        assert 1 <= len(batch) <= 2
        attempts += [e["attemptNumber"] for e in batch]
    assert sorted(attempts) == [0] * 5 + [1] * 5


async def test_failed_delivery_reports_status(
    emulator_accounts: EmulatorAccounts, webhook_receiver: Receiver
) -> None:
    account = emulator_accounts.stripe()
    emulator_accounts.state.churn_stripe(account.api_key, customers=ChurnSpec(create=1))
    webhook_receiver.status = 503

    deliveries = await send_account_events(account, webhook_receiver.url)
    with socket.socket() as closed:  # bound but not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        unreachable = await send_account_events(
            account, f"http://127.0.0.1:{port}/nowhere", event_ids=deliveries[0].event_ids
        )

    assert [d.status for d in deliveries] == [503]
    assert unreachable[0].status is None
    assert unreachable[0].error
