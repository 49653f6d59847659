"""Stripe's error body (`{"error": {...}}`) as an exception the routes raise."""

from __future__ import annotations

from typing import Any


class StripeAPIError(Exception):
    """An error answer in Stripe's wire format; `to_body` is what the client receives."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = headers or {}

    def to_body(self, request_id: str | None) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            error["param"] = self.param
        if request_id is not None:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def mask_key(api_key: str) -> str:
    """Stripe shows the key prefix and its last four characters, the rest as `*`."""
    prefix = ""
    for candidate in ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_"):
        if api_key.startswith(candidate):
            prefix = candidate
            break
    body = api_key[len(prefix) :]
    if len(body) <= 4:
        return prefix + "*" * len(body)
    return prefix + "*" * (len(body) - 4) + body[-4:]


def invalid_api_key(api_key: str) -> StripeAPIError:
    return StripeAPIError(
        401,
        f"Invalid API Key provided: {mask_key(api_key)}",
        headers={"WWW-Authenticate": 'Basic realm="Stripe"'},
    )


def missing_api_key() -> StripeAPIError:
    return StripeAPIError(
        401,
        "You did not provide an API key. You need to provide your API key in the "
        "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
        "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
        "or we can help at https://support.stripe.com/.",
        headers={"WWW-Authenticate": 'Basic realm="Stripe"'},
    )


def no_such(object_name: str, object_id: str, *, param: str, status: int = 404) -> StripeAPIError:
    return StripeAPIError(
        status,
        f"No such {object_name}: '{object_id}'",
        code="resource_missing",
        param=param,
    )


def unrecognized_url(method: str, path: str) -> StripeAPIError:
    return StripeAPIError(
        404,
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
        "or we can help at https://support.stripe.com/.",
    )


def rate_limited() -> StripeAPIError:
    return StripeAPIError(
        429,
        "Request rate limit exceeded. You can learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        code="rate_limit",
    )


def api_error() -> StripeAPIError:
    return StripeAPIError(
        500,
        "An unknown error occurred while processing your request.",
        type_="api_error",
    )
