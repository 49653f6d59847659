"""CRM v4 association reads: `POST /crm/v4/associations/{from}/{to}/batch/read`.

Search answers carry no associations, so a reader of searched invoices asks this endpoint
for their contacts. Shapes follow HubSpot: each input's associated ids in one result
(`toObjectId` a number, unlabeled HubSpot-defined types: invoice->contact 177, the reverse
178), every association of an input at once (HubSpot sends hundreds without `paging`),
and 207 with one `NO_ASSOCIATIONS_FOUND` error per input that has none (unknown and
archived records included, as HubSpot cannot tell them apart either). At most 1,000
inputs, HubSpot's limit since February 2025.
"""

from __future__ import annotations

from typing import Any

from orion.emulator.hubspot.errors import validation_error
from orion.emulator.hubspot.models import SCHEMAS, ObjectSchema
from orion.emulator.hubspot.portal import HubSpotPortal

MAX_INPUTS = 1_000
TYPE_IDS = {("invoices", "contacts"): 177, ("contacts", "invoices"): 178}
# The path accepts a type's name, its singular or its object type id, as HubSpot does.
_ALIASES = {
    alias: schema.name
    for schema in SCHEMAS.values()
    for alias in (schema.name, schema.singular, schema.object_type_id)
}


def object_type(raw: str) -> str:
    name = _ALIASES.get(raw.lower())
    if name is None:
        raise validation_error(f"Unable to infer object type from: {raw}")
    return name


def input_ids(body: Any) -> list[str]:
    """The `id` of each input; `after` (a per-input page cursor) is accepted, never needed."""
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or len(inputs) > MAX_INPUTS:
        raise validation_error(f"inputs must be a list of at most {MAX_INPUTS} objects")
    ids: list[str] = []
    for item in inputs:
        raw = item.get("id") if isinstance(item, dict) else None
        if isinstance(raw, bool) or not isinstance(raw, str | int) or not str(raw):
            raise validation_error("each input needs an 'id'")
        ids.append(str(raw))
    return ids


def read_associations(
    portal: HubSpotPortal, from_raw: str, to_raw: str, body: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`(results, errors)` for the request's inputs, in input order."""
    source, target = object_type(from_raw), object_type(to_raw)
    type_id = TYPE_IDS.get((source, target))
    if type_id is None:
        raise validation_error(f"No association types are defined from {source} to {target}")
    ids = input_ids(body)
    kind = [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]
    results: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    with portal.lock:
        sources, targets = portal.objects[source], portal.objects[target]
        for raw_id in ids:
            obj = sources.get(int(raw_id)) if raw_id.isdigit() else None
            linked = [] if obj is None or obj.archived else obj.associations.get(target, [])
            live = sorted(i for i in linked if i in targets and not targets[i].archived)
            if live:
                to = [{"toObjectId": i, "associationTypes": kind} for i in live]
                results.append({"from": {"id": raw_id}, "to": to})
            else:
                errors.append(_none_found(raw_id, SCHEMAS[source], SCHEMAS[target]))
    return results, errors


def _none_found(raw_id: str, source: ObjectSchema, target: ObjectSchema) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
        "message": f"No {target.singular} is associated with {source.singular} {raw_id}.",
        "context": {
            "fromObjectId": [raw_id],
            "fromObjectType": [source.singular],
            "toObjectType": [target.singular],
        },
        "errors": [],
        "links": {},
    }
