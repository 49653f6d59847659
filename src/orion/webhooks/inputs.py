"""Inputs and results of the webhook workflow and its activities, and its workflow ids.

Plain dataclasses with primitive fields (they live in workflow histories); new fields always
get defaults so old histories keep deserialising.
"""

from __future__ import annotations

from dataclasses import dataclass


def process_workflow_id(provider: str, connection_id: str, event_id: str, replays: int) -> str:
    """One id per event and replay generation.

    Started with ``REJECT_DUPLICATE``, so Temporal refuses a second execution of the same
    event however many dispatchers race; a replay bumps ``replays`` and so gets a new id that
    concurrent replays of the same generation share.
    """
    base = f"webhook-{provider}-{connection_id}-{event_id}"
    return base if replays == 0 else f"{base}-replay-{replays}"


@dataclass
class ProcessWebhookInput:
    tenant_id: str
    event_id: str  # the inbox row's id
    provider: str
    generation: int = 0  # the row's ``replays`` when dispatched
    max_attempts: int = 8


@dataclass
class ApplyInput:
    tenant_id: str
    event_id: str
    generation: int = 0


@dataclass
class ApplyResult:
    outcome: str  # processed | ignored | superseded
    detail: str | None = None


@dataclass
class DeadInput:
    tenant_id: str
    event_id: str
    generation: int
    error: str
