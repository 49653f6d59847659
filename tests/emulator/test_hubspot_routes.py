"""The HubSpot CRM v3 API over HTTP: auth, paging, properties, archived, search, limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hubspot import HubSpot

from orion.emulator.churn import ChurnSpec
from orion.emulator.hubspot.ratelimit import RateLimits
from tests.fixtures.emulator import EmulatorAccounts

NO_SEARCH_LIMIT = RateLimits(search_max=0)


def _page_all(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        query = {**params, **({"after": after} if after else {})}
        body = client.get(path, params=query).raise_for_status().json()
        results += body["results"]
        if "paging" not in body:
            return results
        after = body["paging"]["next"]["after"]


def test_bad_token_is_401_with_hubspot_body(emulator_accounts: EmulatorAccounts) -> None:
    response = httpx.get(
        f"{emulator_accounts.url}/crm/v3/objects/contacts",
        headers={"Authorization": "Bearer not-a-token"},
    )

    body = response.json()
    assert response.status_code == 401
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["correlationId"]


def test_account_details(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot()
    client = emulator_accounts.hubspot_client(portal)

    body = client.get("/account-info/v3/details").json()

    assert body["portalId"] == portal.portal_id
    assert {"accountType", "timeZone", "companyCurrency", "uiDomain"} <= set(body)


def test_list_paging_sees_every_contact_once(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=47, seed=1)
    client = emulator_accounts.hubspot_client(portal)

    first = client.get("/crm/v3/objects/contacts").json()
    everything = _page_all(client, "/crm/v3/objects/contacts", limit=7)

    assert len(first["results"]) == 10
    assert first["paging"]["next"]["link"].startswith(emulator_accounts.url)
    ids = [r["id"] for r in everything]
    assert len(ids) == 47 == len(set(ids))
    assert ids == sorted(ids, key=int)


def test_every_response_has_rate_limit_headers(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=1)
    client = emulator_accounts.hubspot_client(portal)

    first = client.get("/crm/v3/objects/contacts")
    second = client.get("/crm/v3/objects/contacts/999999999")

    assert second.status_code == 404
    for response in (first, second):
        for header in (
            "X-HubSpot-RateLimit-Max",
            "X-HubSpot-RateLimit-Remaining",
            "X-HubSpot-RateLimit-Interval-Milliseconds",
            "X-HubSpot-RateLimit-Daily",
            "X-HubSpot-RateLimit-Daily-Remaining",
        ):
            assert header in response.headers
    remaining = int(first.headers["X-HubSpot-RateLimit-Remaining"])
    assert int(second.headers["X-HubSpot-RateLimit-Remaining"]) == remaining - 1


def test_properties_are_strings_and_requested_ones_only(
    emulator_accounts: EmulatorAccounts,
) -> None:
    portal = emulator_accounts.hubspot(contacts=5, invoices=5, seed=2)
    client = emulator_accounts.hubspot_client(portal)

    contacts = client.get(
        "/crm/v3/objects/contacts", params=[("properties", "email"), ("properties", "city,zip")]
    ).json()["results"]
    invoices = client.get(
        "/crm/v3/objects/invoices",
        params={"properties": "hs_amount_billed,hs_currency", "associations": "contacts"},
    ).json()["results"]

    assert set(contacts[0]["properties"]) == {
        "createdate",
        "lastmodifieddate",
        "hs_object_id",
        "email",
        "city",
        "zip",
    }
    assert contacts[0]["createdAt"].endswith("Z") and len(contacts[0]["createdAt"]) == 24
    invoice = invoices[0]
    assert isinstance(invoice["properties"]["hs_amount_billed"], str)
    assert invoice["properties"]["hs_object_id"] == invoice["id"]
    link = invoice["associations"]["contacts"]["results"][0]
    assert link["type"] == "invoice_to_contact"
    assert int(link["id"]) in portal.objects["contacts"]


def test_some_contacts_have_no_email_or_name(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=200, seed=3)

    values = [c.values for c in portal.objects["contacts"].values()]

    assert any("email" not in v for v in values)
    assert any("firstname" not in v for v in values)
    assert sum("email" in v for v in values) > 150


def test_archived_objects(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=12, seed=4, rate_limits=NO_SEARCH_LIMIT)
    result = emulator_accounts.state.churn_hubspot(
        portal.access_token, contacts=ChurnSpec(delete=3), seed=1
    )
    client = emulator_accounts.hubspot_client(portal)
    archived_id = result.contacts.deleted[0]

    active = _page_all(client, "/crm/v3/objects/contacts", limit=100)
    archived = _page_all(client, "/crm/v3/objects/contacts", archived="true")
    missing = client.get(f"/crm/v3/objects/contacts/{archived_id}")
    found = client.get(f"/crm/v3/objects/contacts/{archived_id}", params={"archived": "true"})
    search = client.post("/crm/v3/objects/contacts/search", json={"limit": 100}).json()

    assert len(active) == 9
    assert {r["id"] for r in archived} == set(result.contacts.deleted)
    assert all(r["archived"] is True and r["archivedAt"] for r in archived)
    assert missing.status_code == 404
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"
    assert found.json()["archived"] is True
    assert search["total"] == 9
    assert archived_id not in {r["id"] for r in search["results"]}


def test_get_by_unique_property(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=20, seed=5)
    contact = next(c for c in portal.objects["contacts"].values() if c.values.get("email"))
    client = emulator_accounts.hubspot_client(portal)

    body = client.get(
        f"/crm/v3/objects/contacts/{str(contact.values['email']).upper()}",
        params={"idProperty": "email"},
    ).json()

    assert body["id"] == str(contact.id)


def test_search_paging_sorting_and_total(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=60, seed=6, rate_limits=NO_SEARCH_LIMIT)
    client = emulator_accounts.hubspot_client(portal)
    cutoff = sorted(c.updated_ms for c in portal.objects["contacts"].values())[20]
    body = {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(cutoff)}
                ]
            }
        ],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "properties": ["email"],
        "limit": 15,
    }

    pages = []
    after: str | None = None
    while True:
        page = client.post(
            "/crm/v3/objects/contacts/search", json={**body, **({"after": after} if after else {})}
        ).json()
        pages.append(page)
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]

    results = [r for p in pages for r in p["results"]]
    expected = sorted(
        (c for c in portal.objects["contacts"].values() if c.updated_ms >= cutoff),
        key=lambda c: (c.updated_ms, c.id),
    )
    assert all(p["total"] == len(expected) for p in pages)
    assert [r["id"] for r in results] == [str(c.id) for c in expected]
    assert set(results[0]["properties"]) == {
        "createdate",
        "email",
        "hs_object_id",
        "lastmodifieddate",
    }


def test_search_caps_at_10000_results(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=10_050, seed=7, rate_limits=NO_SEARCH_LIMIT)
    client = emulator_accounts.hubspot_client(portal)

    near_end = client.post(
        "/crm/v3/objects/contacts/search", json={"limit": 200, "after": "9900"}
    ).json()
    past_end = client.post("/crm/v3/objects/contacts/search", json={"limit": 10, "after": "10000"})

    assert near_end["total"] == 10_050
    assert len(near_end["results"]) == 100
    assert near_end["paging"]["next"]["after"] == "10000"
    assert past_end.status_code == 400
    assert past_end.json()["category"] == "VALIDATION_ERROR"


def test_search_rate_limit_answers_429(emulator_accounts: EmulatorAccounts) -> None:
    # A long window makes the fourth search in it trip the limit deterministically.
    portal = emulator_accounts.hubspot(
        contacts=3, rate_limits=RateLimits(search_max=3, search_interval_ms=600_000)
    )
    client = emulator_accounts.hubspot_client(portal)

    answers = [client.post("/crm/v3/objects/contacts/search", json={}) for _ in range(4)]
    listing = client.get("/crm/v3/objects/contacts")
    portal.clock.advance(601)
    after_window = client.post("/crm/v3/objects/contacts/search", json={})

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    limited = answers[-1].json()
    assert limited["status"] == "error"
    assert limited["errorType"] == "RATE_LIMIT"
    assert limited["policyName"] == "SECONDLY"
    assert "X-HubSpot-RateLimit-Remaining" in answers[-1].headers
    assert listing.status_code == 200
    assert after_window.status_code == 200


def test_burst_limit_answers_429(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(
        rate_limits=RateLimits(burst_max=2, burst_interval_ms=600_000)
    )
    client = emulator_accounts.hubspot_client(portal)

    statuses = [client.get("/crm/v3/objects/contacts").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"after": "xyz"}])
def test_invalid_list_params(emulator_accounts: EmulatorAccounts, params: dict[str, str]) -> None:
    client = emulator_accounts.hubspot_client(emulator_accounts.hubspot(contacts=2))

    response = client.get("/crm/v3/objects/contacts", params=params)

    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_batch_read_reports_missing_ids(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=3, seed=8)
    client = emulator_accounts.hubspot_client(portal)
    known = str(next(iter(portal.objects["contacts"])))

    both = client.post(
        "/crm/v3/objects/contacts/batch/read",
        json={
            "properties": ["email"],
            "propertiesWithHistory": [],
            "inputs": [{"id": known}, {"id": "4040"}],
        },
    )
    only_known = client.post(
        "/crm/v3/objects/contacts/batch/read",
        json={"properties": [], "propertiesWithHistory": [], "inputs": [{"id": known}]},
    )

    assert both.status_code == 207
    assert both.json()["errors"][0]["context"] == {"ids": ["4040"]}
    assert [r["id"] for r in both.json()["results"]] == [known]
    assert only_known.status_code == 200
    assert only_known.json()["status"] == "COMPLETE"


def test_official_client_reads_the_emulator(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=5, invoices=3, seed=9)
    client = HubSpot(access_token=portal.access_token, host=emulator_accounts.url)

    page = client.crm.contacts.basic_api.get_page(limit=2, properties=["email"])
    invoice_page = client.crm.commerce.invoices.basic_api.get_page(limit=10)

    assert len(page.results) == 2
    assert page.paging.next.after
    assert page.results[0].properties["hs_object_id"] == page.results[0].id
    assert len(invoice_page.results) == 3
