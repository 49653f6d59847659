"""HubSpot's error body (`status`, `message`, `correlationId`, `category`) as an exception."""

from __future__ import annotations

import uuid
from typing import Any


class HubSpotAPIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        category: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.category = category
        self.extra = extra or {}
        self.headers = headers or {}

    def to_body(self) -> dict[str, Any]:
        return error_body(self.message, self.category, **self.extra)


def error_body(message: str, category: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }


def invalid_authentication() -> HubSpotAPIError:
    return HubSpotAPIError(
        401,
        "Authentication credentials not found. This API supports OAuth 2.0 authentication "
        "and you can find more details at "
        "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
        "INVALID_AUTHENTICATION",
    )


def validation_error(message: str) -> HubSpotAPIError:
    return HubSpotAPIError(400, message, "VALIDATION_ERROR")


def object_not_found() -> HubSpotAPIError:
    return HubSpotAPIError(404, "resource not found", "OBJECT_NOT_FOUND")


def rate_limit_body(policy: str) -> dict[str, Any]:
    """The 429 body: HubSpot names the policy that was hit."""
    return error_body(
        f"You have reached your {policy.lower()} limit.",
        "RATE_LIMITS",
        errorType="RATE_LIMIT",
        policyName=policy,
    )
