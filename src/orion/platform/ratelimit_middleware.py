"""Rate limiting for every route, present and future, without each route opting in.

A middleware rather than a dependency, so a router added next month is limited without
remembering anything. It decides which budget and which key apply:

- ``/health``, ``/health/*`` and ``/metrics`` are never limited (the platform, the monitors and
  the release guard must always see the truth);
- webhooks (``/api/v1/webhooks/...``) use the webhook budget, per connection for Stripe
  (``/api/v1/webhooks/stripe/{connection_id}``) and per sending IP for HubSpot: its portal id
  sits in the unverified body, and keying on it would let anyone spend a victim portal's
  budget, so we do not read the body here;
- everything else uses the read budget (GET/HEAD/OPTIONS) or the write budget, keyed by tenant
  when the bearer token verifies and by client IP otherwise.

The middleware verifies the bearer token itself through ``Resources.verifier`` (a signature
check, no I/O for HS256 and a cached JWKS otherwise) and leaves the principal on the request
scope (``request.state.principal``) for whoever wants to avoid verifying it twice. A token that
does not verify is simply anonymous here; the route's own dependency answers the 401.

A refusal is a 429 in Orion's error model with ``Retry-After``; every limited answer carries
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orion.platform.auth import AuthError, Principal
from orion.platform.chaos import is_exempt
from orion.platform.client_ip import ClientAddress
from orion.platform.errors import error_response
from orion.platform.ratelimit import Budget, Decision, RateLimiter
from orion.platform.request_context import current_request_id

WEBHOOK_PREFIX = "/api/v1/webhooks/"
_STRIPE_WEBHOOK = re.compile(
    r"^/api/v1/webhooks/stripe/([0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12})/?$"
)
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def webhook_key(path: str, client: str) -> str:
    """Stripe: the connection in the path; anything else: the provider and the sender's IP."""
    stripe = _STRIPE_WEBHOOK.match(path)
    if stripe:
        return f"stripe:{stripe.group(1).lower()}"
    provider = path[len(WEBHOOK_PREFIX) :].split("/", 1)[0] or "unknown"
    provider = provider if provider in ("stripe", "hubspot") else "other"
    return f"{provider}:ip:{client}"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, limiter: RateLimiter, client_address: ClientAddress) -> None:
        self.app = app
        self.limiter = limiter
        self.client_address = client_address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        budget, key = await self._classify(scope)
        decision = await self.limiter.hit(budget, key)
        if not decision.allowed:
            await self._refuse(decision)(scope, receive, send)
            return
        extra = decision.headers()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _classify(self, scope: Scope) -> tuple[Budget, str]:
        path: str = scope["path"]
        if path.startswith(WEBHOOK_PREFIX):
            return Budget.WEBHOOK, webhook_key(path, self.client_address(scope))
        budget = Budget.READ if scope["method"] in _READ_METHODS else Budget.WRITE
        principal = await self._principal(scope)
        if principal is not None:
            return budget, f"tenant:{principal.tenant_id}"
        return budget, f"ip:{self.client_address(scope)}"

    @staticmethod
    async def _principal(scope: Scope) -> Principal | None:
        authorization = Headers(scope=scope).get("authorization", "")
        if not authorization.lower().startswith("bearer "):
            return None
        app = scope.get("app")
        resources = getattr(getattr(app, "state", None), "resources", None)
        if resources is None:
            return None
        try:
            principal: Principal = await resources.verifier.verify(authorization[7:].strip())
        except AuthError:
            return None
        scope.setdefault("state", {})["principal"] = principal
        return principal

    @staticmethod
    def _refuse(decision: Decision) -> ASGIApp:
        wait = decision.headers()["Retry-After"]
        return error_response(
            429,
            "rate_limited",
            f"Too many requests; retry in {wait} s.",
            current_request_id(),
            headers=decision.headers(),
        )
