"""HubSpot churn: modification dates move, archives happen, webhook events are queued."""

from __future__ import annotations

from orion.emulator.churn import ChurnSpec
from orion.emulator.hubspot.churn import churn_portal
from tests.fixtures.emulator import EmulatorAccounts


def test_churn_reports_changes_and_bumps_lastmodifieddate(
    emulator_accounts: EmulatorAccounts,
) -> None:
    portal = emulator_accounts.hubspot(contacts=30, invoices=20, seed=1)
    before = {i: (o.updated_ms, o.version) for i, o in portal.objects["contacts"].items()}
    portal.clock.advance(5)

    result = churn_portal(
        portal,
        contacts=ChurnSpec(create=2, update=5, delete=3),
        invoices=ChurnSpec(create=1, update=4),
        seed=3,
    )

    contacts = portal.objects["contacts"]
    assert len(result.contacts.created) == 2
    assert len(result.contacts.updated) == 5
    assert len(result.contacts.deleted) == 3
    for object_id in map(int, result.contacts.updated):
        assert contacts[object_id].updated_ms > before[object_id][0]
        assert contacts[object_id].version == before[object_id][1] + 1
    assert all(contacts[int(i)].archived for i in result.contacts.deleted)
    assert len(result.invoices.updated) == 4
    new_invoice = portal.objects["invoices"][int(result.invoices.created[0])]
    assert new_invoice.values["hs_invoice_status"] == "draft"
    assert new_invoice.associations["contacts"]


def test_webhook_events_match_changes(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=10, invoices=5, seed=2)

    result = churn_portal(
        portal,
        contacts=ChurnSpec(create=1, update=2, delete=1),
        invoices=ChurnSpec(update=1),
        seed=1,
    )

    events = result.webhook_events
    by_type: dict[str, list[dict[str, object]]] = {}
    for event in events:
        by_type.setdefault(str(event["subscriptionType"]), []).append(event)
    assert [e["objectId"] for e in by_type["contact.creation"]] == [
        int(i) for i in result.contacts.created
    ]
    assert by_type["contact.creation"][0]["changeFlag"] == "NEW"
    assert {e["objectId"] for e in by_type["contact.propertyChange"]} == {
        int(i) for i in result.contacts.updated
    }
    for change in by_type["contact.propertyChange"]:
        obj = portal.objects["contacts"][int(str(change["objectId"]))]
        assert change["propertyValue"] == obj.wire(
            portal.schema("contacts"), str(change["propertyName"])
        )
    assert [e["objectId"] for e in by_type["contact.deletion"]] == [
        int(i) for i in result.contacts.deleted
    ]
    assert all(e["objectTypeId"] == "0-53" for e in by_type["object.propertyChange"])
    assert all(e["portalId"] == portal.portal_id and e["appId"] == portal.app_id for e in events)
    assert [e["eventId"] for e in events] == sorted({e["eventId"] for e in events})


def test_property_history_after_update(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=5, seed=3)
    result = churn_portal(portal, contacts=ChurnSpec(update=1), seed=2)
    object_id = result.contacts.updated[0]
    changed = str(result.webhook_events[0]["propertyName"])
    client = emulator_accounts.hubspot_client(portal)

    body = client.get(
        f"/crm/v3/objects/contacts/{object_id}", params={"propertiesWithHistory": changed}
    ).json()

    history = body["propertiesWithHistory"][changed]
    current = portal.objects["contacts"][int(object_id)].wire(portal.schema("contacts"), changed)
    assert history[0]["value"] == current
    assert history == sorted(history, key=lambda h: h["timestamp"], reverse=True)


def test_truth_set(emulator_accounts: EmulatorAccounts) -> None:
    portal = emulator_accounts.hubspot(contacts=8, invoices=4, seed=4)
    before = {e["id"]: e for e in portal.truth()["contacts"]}

    result = churn_portal(portal, contacts=ChurnSpec(update=2, delete=1), seed=5)
    after = {e["id"]: e for e in portal.truth()["contacts"]}

    assert set(after) == set(before)
    for object_id in result.contacts.updated:
        assert after[object_id]["hash"] != before[object_id]["hash"]
        assert after[object_id]["version"] == before[object_id]["version"] + 1
    assert after[result.contacts.deleted[0]]["archived"] is True
    assert len(portal.truth()["invoices"]) == 4
