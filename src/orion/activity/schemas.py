"""The overview's numbers: fixed-width time buckets (empty ones included) and status counts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SyncBucket(BaseModel):
    start: datetime
    runs: int = Field(description="Sync runs started in the bucket.")
    failed: int
    records: int = Field(description="Records inserted or changed by those runs.")


class WebhookBucket(BaseModel):
    start: datetime
    received: int
    dead: int = Field(description="Events received in the bucket that are dead now.")


class SyncActivity(BaseModel):
    buckets: list[SyncBucket]
    by_status: dict[str, int] = Field(description="Runs started in the window, by status.")
    running: int = Field(description="Runs in progress now, whenever they started.")


class WebhookActivity(BaseModel):
    buckets: list[WebhookBucket]
    by_status: dict[str, int] = Field(description="Events received in the window, by status.")
    dead_total: int = Field(description="Dead events waiting for a replay, all time.")


class Activity(BaseModel):
    since: datetime
    bucket_seconds: int
    connections: dict[str, int] = Field(description="Connections by status.")
    sync: SyncActivity
    webhooks: WebhookActivity
