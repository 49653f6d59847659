"""HubSpot CRM objects and the property schemas of contacts and invoices.

Values are kept typed (datetimes as epoch ms) so search filters and sorts compare them
cheaply; on the wire every property value is a string (or null) and every timestamp
ISO-8601 with milliseconds, as HubSpot sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

PropertyType = Literal["string", "number", "datetime", "enumeration"]
Value = str | int | None


def iso_ms(epoch_ms: int) -> str:
    """`1736154922481` -> `2025-01-06T09:15:22.481Z`."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    name: str
    singular: str
    object_type_id: str
    properties: Mapping[str, PropertyType]
    default_properties: tuple[str, ...]
    always_properties: tuple[str, ...]
    created_property: str
    modified_property: str
    searchable: tuple[str, ...]
    unique_properties: tuple[str, ...]


CONTACTS = ObjectSchema(
    name="contacts",
    singular="contact",
    object_type_id="0-1",
    properties=MappingProxyType(
        {
            "email": "string",
            "firstname": "string",
            "lastname": "string",
            "phone": "string",
            "company": "string",
            "address": "string",
            "city": "string",
            "state": "string",
            "zip": "string",
            "country": "string",
            "createdate": "datetime",
            "lastmodifieddate": "datetime",
            "hs_object_id": "number",
        }
    ),
    default_properties=(
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    always_properties=("createdate", "hs_object_id", "lastmodifieddate"),
    created_property="createdate",
    modified_property="lastmodifieddate",
    searchable=("email", "firstname", "lastname", "phone", "company"),
    unique_properties=("email",),
)

INVOICES = ObjectSchema(
    name="invoices",
    singular="invoice",
    object_type_id="0-53",
    properties=MappingProxyType(
        {
            "hs_number": "string",
            "hs_currency": "enumeration",
            "hs_amount_billed": "number",
            "hs_balance_due": "number",
            "hs_amount_paid": "number",
            "hs_invoice_status": "enumeration",
            "hs_due_date": "datetime",
            "hs_invoice_date": "datetime",
            "hs_payment_date": "datetime",
            "hs_createdate": "datetime",
            "hs_lastmodifieddate": "datetime",
            "hs_object_id": "number",
        }
    ),
    default_properties=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    always_properties=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    created_property="hs_createdate",
    modified_property="hs_lastmodifieddate",
    searchable=("hs_number",),
    unique_properties=("hs_number",),
)

SCHEMAS: Mapping[str, ObjectSchema] = MappingProxyType({"contacts": CONTACTS, "invoices": INVOICES})


@dataclass(slots=True)
class CrmObject:
    """One record; `values` holds the non-computed properties."""

    id: int
    created_ms: int
    updated_ms: int
    values: dict[str, Value]
    archived_ms: int | None = None
    version: int = 1
    associations: dict[str, list[int]] = field(default_factory=dict)
    # property -> [(value, timestamp ms)], oldest first; only for changed properties
    history: dict[str, list[tuple[Value, int]]] = field(default_factory=dict)

    @property
    def archived(self) -> bool:
        return self.archived_ms is not None

    def typed(self, schema: ObjectSchema, name: str) -> Value:
        """The value as stored (epoch ms for datetimes), for filters and sorts."""
        if name == "hs_object_id":
            return self.id
        if name == schema.created_property:
            return self.created_ms
        if name == schema.modified_property:
            return self.updated_ms
        return self.values.get(name)

    def wire(self, schema: ObjectSchema, name: str) -> str | None:
        return wire_value(schema.properties.get(name, "string"), self.typed(schema, name))

    def set(self, schema: ObjectSchema, name: str, value: Value, at_ms: int) -> None:
        """Change one property, keeping HubSpot-style history of previous values."""
        log = self.history.get(name)
        if log is None:
            log = self.history[name] = [(self.values.get(name), self.created_ms)]
        log.append((value, at_ms))
        self.values[name] = value

    def render(
        self,
        schema: ObjectSchema,
        properties: tuple[str, ...] | None,
        *,
        associations: tuple[str, ...] = (),
        with_history: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        names = schema.default_properties if not properties else _requested(schema, properties)
        body: dict[str, Any] = {
            "id": str(self.id),
            "properties": {name: self.wire(schema, name) for name in names},
            "createdAt": iso_ms(self.created_ms),
            "updatedAt": iso_ms(self.updated_ms),
            "archived": self.archived,
        }
        if self.archived_ms is not None:
            body["archivedAt"] = iso_ms(self.archived_ms)
        if with_history:
            body["propertiesWithHistory"] = {
                name: self._history(schema, name)
                for name in with_history
                if name in schema.properties
            }
        linked = {
            other: {
                "results": [
                    {"id": str(i), "type": f"{schema.singular}_to_{other.rstrip('s')}"}
                    for i in self.associations[other]
                ]
            }
            for other in associations
            if self.associations.get(other)
        }
        if linked:
            body["associations"] = linked
        return body

    def _history(self, schema: ObjectSchema, name: str) -> list[dict[str, Any]]:
        kind = schema.properties[name]
        entries = self.history.get(name) or [(self.typed(schema, name), self.created_ms)]
        return [
            {
                "value": wire_value(kind, value),
                "timestamp": iso_ms(at_ms),
                "sourceType": "CRM_UI",
            }
            for value, at_ms in reversed(entries)
            if value is not None
        ]


def _requested(schema: ObjectSchema, properties: tuple[str, ...]) -> tuple[str, ...]:
    """Requested known properties plus the ones HubSpot always returns; unknown ignored."""
    wanted = list(schema.always_properties)
    wanted += [p for p in properties if p in schema.properties and p not in wanted]
    return tuple(sorted(wanted))


def wire_value(kind: PropertyType, value: Value) -> str | None:
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, int):
        return iso_ms(value)
    return str(value)
