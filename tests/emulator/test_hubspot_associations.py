"""The v4 association batch read over HTTP: shapes, 207s, symmetry, validation, limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)

from orion.emulator.churn import ChurnSpec
from orion.emulator.hubspot.portal import HubSpotPortal
from orion.emulator.hubspot.ratelimit import RateLimits
from tests.fixtures.emulator import EmulatorAccounts

READ = "/crm/v4/associations/{}/{}/batch/read"


def _read(client: httpx.Client, ids: list[Any], source: str = "invoices") -> httpx.Response:
    target = "contacts" if source.startswith(("invoice", "0-53")) else "invoices"
    return client.post(READ.format(source, target), json={"inputs": [{"id": i} for i in ids]})


def _links(portal: HubSpotPortal, source: str, target: str) -> dict[str, set[int]]:
    """Every active object's active associated ids, from the portal's own data."""
    live = set(portal.active_ids(target))
    return {
        str(obj.id): found
        for obj in portal.objects[source].values()
        if not obj.archived and (found := set(obj.associations.get(target, [])) & live)
    }


def test_invoice_contacts_in_hubspots_shape(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=10, invoices=30, seed=1)
    client = emulator_accounts.hubspot_client(portal)
    ids = [str(i) for i in portal.active_ids("invoices")]

    response = _read(client, ids)

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "COMPLETE"
    assert "errors" not in body and "numErrors" not in body
    for stamp in (body["startedAt"], body["completedAt"]):
        assert datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert [r["from"]["id"] for r in body["results"]] == ids
    expected = _links(portal, "invoices", "contacts")
    for result in body["results"]:
        (link,) = result["to"]
        assert isinstance(link["toObjectId"], int)
        assert {link["toObjectId"]} == expected[result["from"]["id"]]
        assert link["associationTypes"] == [
            {"category": "HUBSPOT_DEFINED", "typeId": 177, "label": None}
        ]
        assert "paging" not in result


def test_inputs_without_associations_are_207_errors(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=5, invoices=12, seed=2)
    churn = emulator_accounts.state.churn_hubspot(
        portal.access_token, invoices=ChurnSpec(delete=1), seed=1
    )
    client = emulator_accounts.hubspot_client(portal)
    archived = churn.invoices.deleted[0]
    known = str(portal.active_ids("invoices")[0])

    response = _read(client, [known, "4040", archived, 12])

    body = response.json()
    assert response.status_code == 207
    assert [r["from"]["id"] for r in body["results"]] == [known]
    assert body["numErrors"] == 3 == len(body["errors"])
    first = body["errors"][0]
    assert first["status"] == "error"
    assert first["category"] == "OBJECT_NOT_FOUND"
    assert first["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert first["message"] == "No contact is associated with invoice 4040."
    assert first["context"] == {
        "fromObjectId": ["4040"],
        "fromObjectType": ["invoice"],
        "toObjectType": ["contact"],
    }
    assert [e["context"]["fromObjectId"] for e in body["errors"][1:]] == [[archived], ["12"]]


def test_contacts_to_invoices_is_the_mirror_image(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=8, invoices=40, seed=3)
    emulator_accounts.state.churn_hubspot(
        portal.access_token, invoices=ChurnSpec(create=4, delete=3), seed=2
    )
    client = emulator_accounts.hubspot_client(portal)
    contacts = [str(i) for i in portal.active_ids("contacts")]

    # Object type ids and singular names are accepted as HubSpot accepts them.
    body = client.post(
        READ.format("contact", "0-53"), json={"inputs": [{"id": i} for i in contacts]}
    ).json()

    found = {r["from"]["id"]: {t["toObjectId"] for t in r["to"]} for r in body["results"]}
    assert found == _links(portal, "contacts", "invoices")
    reverse: dict[str, set[int]] = {}
    for invoice, owners in _links(portal, "invoices", "contacts").items():
        for owner in owners:
            reverse.setdefault(str(owner), set()).add(int(invoice))
    assert found == reverse
    assert all(t["associationTypes"][0]["typeId"] == 178 for r in body["results"] for t in r["to"])
    assert {e["context"]["fromObjectId"][0] for e in body.get("errors", [])} == (
        set(contacts) - set(found)
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (READ.format("invoices", "contacts"), {"inputs": [{"id": "1"}] * 1001}),
        (READ.format("invoices", "contacts"), {"inputs": [{"after": "x"}]}),
        (READ.format("invoices", "contacts"), {"ids": ["1"]}),
        (READ.format("widgets", "contacts"), {"inputs": [{"id": "1"}]}),
        (READ.format("invoices", "invoices"), {"inputs": [{"id": "1"}]}),
    ],
)
def test_invalid_requests_are_400(
    emulator_accounts: EmulatorAccounts, path: str, body: dict[str, Any]
) -> None:
    client = emulator_accounts.hubspot_client(emulator_accounts.hubspot(contacts=1, invoices=1))

    response = client.post(path, json=body)

    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


def test_auth_and_rate_limits_apply(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(
        contacts=2, invoices=2, rate_limits=RateLimits(burst_max=2, burst_interval_ms=600_000)
    )
    client = emulator_accounts.hubspot_client(portal)
    ids = [str(i) for i in portal.active_ids("invoices")]

    stranger = httpx.post(
        emulator_accounts.url + READ.format("invoices", "contacts"),
        json={"inputs": []},
        headers={"Authorization": "Bearer pat-na1-unknown"},
    )
    answers = [_read(client, ids) for _ in range(3)]

    assert stranger.status_code == 401
    assert stranger.json()["category"] == "INVALID_AUTHENTICATION"
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-HubSpot-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert answers[-1].json()["policyName"] == "TEN_SECONDLY_ROLLING"


def test_the_official_client_reads_associations(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=3, invoices=4, seed=4)
    client = HubSpot(access_token=portal.access_token, host=emulator_accounts.url)
    ids = [str(i) for i in portal.active_ids("invoices")]
    request = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[PublicFetchAssociationsBatchRequest(id=i) for i in [*ids, "99"]]
    )

    page = client.crm.associations.v4.batch_api.get_page("invoices", "contacts", request)

    assert page.status == "COMPLETE"
    assert [r._from.id for r in page.results] == ids
    assert page.num_errors == 1
    assert page.errors[0].sub_category == "crm.associations.NO_ASSOCIATIONS_FOUND"
