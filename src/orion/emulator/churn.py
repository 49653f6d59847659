"""What a churn round should do, shared by both providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ChurnSpec:
    """How many objects of one type to create, update and delete (archive on HubSpot).

    `*_fraction` applies to the objects that existed before the round and adds to the
    absolute count. Updated and deleted objects are disjoint, so expectations are exact.
    """

    create: int = 0
    update: int = 0
    delete: int = 0
    update_fraction: float = 0.0
    delete_fraction: float = 0.0

    def __post_init__(self) -> None:
        if min(self.create, self.update, self.delete) < 0:
            raise ValueError("churn counts must not be negative")
        if not (0.0 <= self.update_fraction <= 1.0 and 0.0 <= self.delete_fraction <= 1.0):
            raise ValueError("churn fractions must be between 0 and 1")

    def counts(self, existing: int) -> tuple[int, int]:
        """(objects to update, objects to delete) out of `existing`."""
        update = min(self.update + round(self.update_fraction * existing), existing)
        delete = self.delete + round(self.delete_fraction * existing)
        return update, min(delete, existing - update)

    @classmethod
    def from_json(cls, body: dict[str, Any] | None) -> ChurnSpec:
        body = body or {}
        return cls(
            create=int(body.get("create", 0)),
            update=int(body.get("update", 0)),
            delete=int(body.get("delete", 0)),
            update_fraction=float(body.get("update_fraction", 0.0)),
            delete_fraction=float(body.get("delete_fraction", 0.0)),
        )


@dataclass(slots=True)
class ObjectChanges:
    """Ids touched by one churn round, in the order the changes happened."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, list[str]]:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted}
