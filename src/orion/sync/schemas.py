"""Sync runs as the API shows them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field


class SyncRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    connection_id: uuid.UUID
    trigger: Literal["schedule", "manual"]
    status: Literal["running", "completed", "failed", "cancelled"]
    pages: int
    records_upserted: int = Field(description="Records inserted or changed.")
    records_deleted: int = Field(description="Records marked deleted.")
    gap: bool = Field(
        description="The stored cursor had expired (Stripe keeps events 30 days): "
        "a full re-list was done instead of an incremental read."
    )
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def duration_seconds(self) -> float:
        end = self.finished_at or self.updated_at
        return round((end - self.started_at).total_seconds(), 3)


class SyncStarted(BaseModel):
    workflow_id: str
    status: Literal["started"] = "started"
