"""The dashboard in Chromium against a running Orion (API + worker + emulator + Postgres +
Temporal): sign in, connect, sync, browse records, watch webhooks arrive live, replay a dead one.

Every wait is Playwright's auto-waiting ``expect`` (or a bound that only stops a broken test
from hanging); nothing asserts how fast anything happens. No view polls: rows that change
while the page is open change because the event stream said so, and the page never reloads
(a marker set on ``window`` at the start is still there at the end).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from orion.emulator.churn import ChurnSpec
from orion.emulator.faults import FaultRule
from orion.emulator.webhooks import send_hubspot_webhooks
from tests.fixtures.emulator import EmulatorAccounts
from tests.web.browser import PageWatch
from tests.web.conftest import HUBSPOT_SECRET
from tests.web.server import ApiServer

pytestmark = pytest.mark.e2e
LONG = 90_000  # ms: a bound for waits on the worker (syncs, webhook processing)
expect.set_options(timeout=20_000)


def go(page: Page, view: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=view, exact=True).click()


def send_contact_change(server: ApiServer, accounts: EmulatorAccounts, token: str) -> int:
    """A contact changes at HubSpot, and HubSpot (the emulator) delivers the signed webhook
    (one event per changed property). Returns the number of events."""
    churn = accounts.state.churn_hubspot(token, contacts=ChurnSpec(update=1))
    url = f"{server.url}/api/v1/webhooks/hubspot"
    # A thread of its own: Playwright's sync API keeps an event loop busy on this one.
    with ThreadPoolExecutor(1) as pool:
        send = send_hubspot_webhooks(url, churn.webhook_events, HUBSPOT_SECRET)
        deliveries = pool.submit(asyncio.run, send).result()
    assert [d.status for d in deliveries] == [200]
    return len(churn.webhook_events)


def sign_in(page: Page, server: ApiServer, token: str, screenshots: Path) -> None:
    page.goto(f"{server.url}/")
    expect(page.get_by_role("heading", name="Sign in to Orion")).to_be_focused()
    page.screenshot(path=screenshots / "sign-in.png")
    page.get_by_label("Access token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page.locator("#live-status")).to_have_text("Live")
    expect(page.locator(".check", has_text="postgres")).to_contain_text("pass")
    page.evaluate("window.__orionTestMarker = 'no reload'")


def connect_hubspot(page: Page, watch: PageWatch, access_token: str) -> None:
    go(page, "Connections")
    expect(page.get_by_text("No connections yet")).to_be_visible()
    page.get_by_label("Provider").select_option("hubspot")
    page.get_by_label("Display name (optional)").fill("Test HubSpot")
    page.get_by_label("Sync", exact=True).select_option("86400")
    token_field = page.get_by_label("Private app access token")
    token_field.fill("pat-na1-not-a-real-token")
    watch.expect_failed_request(422, "/api/v1/connections")
    page.get_by_role("button", name="Connect").click()
    expect(page.locator(".connect-form [role=alert]")).to_contain_text(
        re.compile(r"^Not connected: HubSpot rejected the access token .+\(request \w+\)$")
    )
    token_field.fill(access_token)
    page.get_by_role("button", name="Connect").click()
    card = page.locator("article", has_text="Test HubSpot")
    expect(card.locator(".badge")).to_have_text("active")
    expect(card).to_contain_text("No sync yet")


def sync_and_watch(page: Page, screenshots: Path) -> None:
    page.get_by_role("button", name="Sync Test HubSpot now").click()
    expect(page.locator("main").get_by_role("status").first).to_contain_text(
        "Sync of Test HubSpot started."
    )
    go(page, "Sync runs")
    run = page.locator("tbody tr").first
    expect(run.get_by_role("progressbar", name="Sync in progress")).to_be_visible()
    expect(run.locator("td[data-label=Pages]")).not_to_have_text("0", timeout=LONG)
    page.screenshot(path=screenshots / "sync-progress.png", full_page=True)
    expect(run.locator("td[data-label=Status]")).to_have_text("completed", timeout=LONG)
    expect(run.locator("td[data-label=Records]")).to_have_text("550")
    expect(run.locator("td[data-label=Error]")).to_have_text("—")
    expect(page.locator("#announcer")).to_contain_text("Sync of Test HubSpot completed")
    page.screenshot(path=screenshots / "sync-runs.png", full_page=True)


def browse_customers(page: Page, server: ApiServer, tenant: uuid.UUID, shots: Path) -> None:
    customers = httpx.get(
        f"{server.url}/api/v1/customers", params={"limit": 100}, headers=server.headers(tenant)
    ).json()["data"]
    listed = next(c for c in customers if c["email"])
    go(page, "Customers")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(25)
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(rows).to_have_count(25)
    page.get_by_label("Connection").select_option(label="Test HubSpot")
    expect(page.get_by_text("Page 1")).to_be_visible()
    page.get_by_label("Email (exact match)").fill(listed["email"].upper())
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    opener = rows.first.get_by_role("button")
    opener.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", level=2)).to_have_text(listed["name"] or listed["email"])
    expect(dialog.get_by_label("Raw payload")).to_contain_text(f'"id": "{listed["external_id"]}"')
    page.screenshot(path=shots / "customer-detail.png")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()


def watch_webhooks(
    page: Page, server: ApiServer, accounts: EmulatorAccounts, token: str, shots: Path
) -> None:
    go(page, "Webhook events")
    expect(page.get_by_text("No webhook events match.")).to_be_visible()
    rows = page.locator("tbody tr")
    first = send_contact_change(server, accounts, token)
    expect(rows).to_have_count(first)
    expect(page.locator("tbody .badge-processed")).to_have_count(first, timeout=LONG)

    # HubSpot fails while the next events are processed: one attempt allowed, so they die.
    accounts.state.set_faults(
        "hubspot",
        token,
        [FaultRule(kind="server_error", path_prefix="/crm/v3/objects/contacts/", method="GET")],
    )
    second = send_contact_change(server, accounts, token)
    page.get_by_label("Status").select_option("dead")
    expect(rows).to_have_count(second, timeout=LONG)
    expect(rows.first.locator("td[data-label='Last error']")).to_contain_text("HTTP 500")
    page.screenshot(path=shots / "webhook-dead.png", full_page=True)
    accounts.state.set_faults("hubspot", token, [])
    for left in range(second - 1, -1, -1):
        rows.first.get_by_role("button", name=re.compile("^Replay ")).click()
        expect(rows).to_have_count(left)  # replayed: no longer dead, gone from this filter
    page.get_by_label("Status").select_option("")
    expect(rows).to_have_count(first + second)
    expect(page.locator("tbody .badge-processed")).to_have_count(first + second, timeout=LONG)
    replayed = rows.filter(has=page.locator("td[data-label=Replays]", has_text="1"))
    expect(replayed).to_have_count(second)
    page.screenshot(path=shots / "webhook-events.png", full_page=True)


def manage_connection(page: Page) -> None:
    go(page, "Connections")
    card = page.locator("article", has_text="Test HubSpot")
    expect(card).to_contain_text("completed")
    card.get_by_role("button", name="Pause Test HubSpot").click()
    expect(card.locator(".badge").first).to_have_text("paused")
    expect(card.get_by_role("button", name="Sync Test HubSpot now")).to_be_disabled()
    card.get_by_role("button", name="Resume Test HubSpot").click()
    expect(card.locator(".badge").first).to_have_text("active")
    card.get_by_role("button", name="Delete Test HubSpot").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(card).to_have_count(1)
    card.get_by_role("button", name="Delete Test HubSpot").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete connection").click()
    expect(card).to_have_count(0)
    expect(page.get_by_text("No connections yet")).to_be_visible()


def test_dashboard_end_to_end(
    api_server: ApiServer,
    emulator_accounts: EmulatorAccounts,
    browser: Browser,
    screenshots: Path,
) -> None:
    portal = emulator_accounts.hubspot(
        contacts=400, invoices=150, seed=9, client_secret=HUBSPOT_SECRET
    )
    # Slow HubSpot down a little, so the run is seen in progress before it completes.
    emulator_accounts.state.set_faults(
        "hubspot",
        portal.access_token,
        [FaultRule(kind="latency", latency_ms=400, path_prefix="/crm/v3/objects/")],
    )
    tenant = uuid.uuid4()
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    watch = PageWatch(page)

    sign_in(page, api_server, api_server.token(tenant), screenshots)
    connect_hubspot(page, watch, portal.access_token)
    page.screenshot(path=screenshots / "connections.png", full_page=True)
    sync_and_watch(page, screenshots)
    emulator_accounts.state.set_faults("hubspot", portal.access_token, [])
    browse_customers(page, api_server, tenant, screenshots)
    watch_webhooks(page, api_server, emulator_accounts, portal.access_token, screenshots)

    go(page, "Overview")
    expect(page.locator(".stat", has_text="dead webhook events")).to_contain_text("0")
    expect(page.locator("figure", has_text="Webhook events")).to_contain_text("Received")
    page.screenshot(path=screenshots / "overview.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    go(page, "Sync runs")
    expect(page.locator("tbody tr").first).to_contain_text("completed")
    page.screenshot(path=screenshots / "mobile-sync-runs.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 860})

    manage_connection(page)
    assert page.evaluate("window.__orionTestMarker") == "no reload"
    watch.assert_clean()


def test_the_watch_sees_csp_violations_and_errors(api_server: ApiServer, browser: Browser) -> None:
    """The checks above can fail: an inline script and a thrown error are both reported."""
    page = browser.new_page()
    watch = PageWatch(page)
    page.goto(f"{api_server.url}/")
    expect(page.get_by_role("heading", name="Sign in to Orion")).to_be_visible()
    with page.expect_console_message(lambda m: "CSP violation" in m.text):
        page.evaluate(
            "document.body.append(Object.assign(document.createElement('script'), "
            "{textContent: 'window.inlineRan = true'}))"
        )
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('boom') })")
    assert page.evaluate("window.inlineRan") is None
    with pytest.raises(AssertionError):
        watch.assert_clean()
    assert any("CSP violation: script-src" in p for p in watch.problems)
    assert any("boom" in p for p in watch.problems)
