"""The providers' published shapes (see data/README.md), loaded fresh for each use."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
STRIPE_VERSIONS = ("2022-11-15", "latest")


@cache
def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


def stripe_object(version: str, name: str) -> dict[str, Any]:
    """A deep copy of one Stripe fixture resource (``customer``, ``invoice``, ...)."""
    resources = _load(f"stripe-core-objects.{version}.json")["resources"]
    return copy.deepcopy(resources[name])


def stripe_event(
    event_type: str, obj: dict[str, Any], created: int, event_id: str
) -> dict[str, Any]:
    """Stripe's event envelope (from the fixture) around another object."""
    event = stripe_object("latest", "event")
    event.update(id=event_id, type=event_type, created=created, data={"object": obj})
    return event


def hubspot_example(key: str) -> dict[str, Any]:
    """The body of one example answer in the HubSpot sample file."""
    return copy.deepcopy(_load("hubspot-crm-v3.trimmed.json")["examples"][key]["body"])
