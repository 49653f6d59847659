"""Connection requests and answers. Credentials go in, never out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from orion.records.unified import Provider

Interval = Annotated[int, Field(ge=60, le=7 * 86400, description="Seconds between syncs.")]
DisplayName = Annotated[str | None, Field(default=None, max_length=200)]


class StripeConnectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "provider": "stripe",
                    "api_key": "sk_test_...",
                    "webhook_secrets": ["whsec_..."],
                    "display_name": "Stripe (EU)",
                }
            ]
        },
    )

    provider: Literal[Provider.STRIPE]
    api_key: SecretStr = Field(description="A secret or restricted key with read access.")
    webhook_secrets: list[SecretStr] = Field(
        default_factory=list,
        max_length=2,
        description="Signing secrets (whsec_...) of the webhook endpoint; two while rolling.",
    )
    display_name: DisplayName = None
    sync_interval_seconds: Interval = 3600


class HubSpotConnectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"provider": "hubspot", "access_token": "pat-na1-...", "display_name": "CRM"}
            ]
        },
    )

    provider: Literal[Provider.HUBSPOT]
    access_token: SecretStr = Field(description="A private app access token (CRM read scopes).")
    display_name: DisplayName = None
    sync_interval_seconds: Interval = 3600


ConnectionCreate = Annotated[
    StripeConnectionCreate | HubSpotConnectionCreate, Field(discriminator="provider")
]


class ConnectionUpdate(BaseModel):
    """Change what is given; a new credential is validated and re-activates the connection."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "paused"] | None = None
    display_name: DisplayName = None
    sync_interval_seconds: Interval | None = None
    api_key: SecretStr | None = Field(default=None, description="Stripe only.")
    access_token: SecretStr | None = Field(default=None, description="HubSpot only.")
    webhook_secrets: list[SecretStr] | None = Field(default=None, max_length=2)


class ConnectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: Provider
    external_account_id: str = Field(description="Stripe account id or HubSpot portal id.")
    display_name: str | None
    status: Literal["active", "needs_reauth", "paused"]
    status_reason: str | None = Field(description="Why the connection needs attention.")
    sync_interval_seconds: int
    last_synced_at: datetime | None
    has_webhook_secrets: bool = Field(description="Stripe signing secrets are stored.")
    created_at: datetime
    updated_at: datetime
