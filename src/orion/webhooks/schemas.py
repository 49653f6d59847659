"""Webhook events as the API shows them: the list never carries bodies, the detail may."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["received", "dispatched", "processed", "dead"]


class WebhookEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    connection_id: uuid.UUID
    provider: Literal["stripe", "hubspot"]
    event_id: str = Field(description="Stripe's event id, or Orion's dedupe key for HubSpot.")
    event_type: str
    object_id: str | None
    occurred_at: datetime | None
    status: Status = Field(description="received -> dispatched -> processed, or dead.")
    attempts: int
    last_error: str | None
    replays: int
    received_at: datetime
    dispatched_at: datetime | None
    processed_at: datetime | None


class WebhookEventDetail(WebhookEventRead):
    payload: dict[str, Any]
    headers: dict[str, Any] = Field(description="Delivery headers kept for forensics.")


class ReplayAccepted(BaseModel):
    id: uuid.UUID
    status: Status
    workflow_id: str
