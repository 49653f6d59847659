"""Sign-in: verify Supabase-issued JWTs and find the tenant they belong to.

Supabase signs access tokens with the project's JWT secret (HS256) or, on newer projects,
asymmetric keys published as a JWKS. Both are accepted; ``alg`` is never taken on trust:
HS256 tokens are checked only against the secret and asymmetric ones only against the JWKS.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import structlog

from orion.platform.errors import Unauthorized

_log = structlog.get_logger("orion.auth")
ASYMMETRIC_ALGORITHMS = ("RS256", "ES256", "EdDSA")
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Principal:
    subject: str
    tenant_id: uuid.UUID
    claims: dict[str, Any]


class AuthError(Unauthorized):
    """401 with ``WWW-Authenticate`` and no detail about what exactly was wrong."""

    def __init__(self, message: str = "A valid bearer token is required.") -> None:
        super().__init__(message)
        self.headers = {"WWW-Authenticate": 'Bearer realm="orion", error="invalid_token"'}


class JwksCache:
    """Keys from the JWKS URL, refreshed on an unknown ``kid`` at most once per interval."""

    def __init__(self, url: str, client: httpx.AsyncClient, min_refresh_seconds: float = 30):
        self.url = url
        self._client = client
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._min_refresh = min_refresh_seconds

    async def key(self, kid: str) -> jwt.PyJWK | None:
        if kid not in self._keys and time.monotonic() - self._fetched_at >= self._min_refresh:
            await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            response = await self._client.get(self.url, timeout=5)
            response.raise_for_status()
            keys = jwt.PyJWKSet.from_dict(response.json()).keys
        except (httpx.HTTPError, jwt.PyJWKSetError, ValueError) as exc:
            _log.warning("jwks_refresh_failed", url=self.url, error=type(exc).__name__)
            return
        self._keys = {key.key_id: key for key in keys if key.key_id}


def claim_at(claims: dict[str, Any], path: str) -> Any:
    """``app_metadata.tenant_id`` -> ``claims["app_metadata"]["tenant_id"]`` (None if absent)."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class TokenVerifier:
    def __init__(
        self,
        *,
        hs256_secret: str | None,
        jwks: JwksCache | None,
        audience: str,
        tenant_claim: str,
    ) -> None:
        self._secret = hs256_secret
        self._jwks = jwks
        self._audience = audience
        self._tenant_claim = tenant_claim

    async def verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise AuthError() from None
        algorithm = header.get("alg")
        if algorithm == "HS256" and self._secret:
            key: Any = self._secret
        elif algorithm in ASYMMETRIC_ALGORITHMS and self._jwks is not None:
            found = await self._jwks.key(str(header.get("kid", "")))
            if found is None:
                raise AuthError()
            key = found
        else:
            raise AuthError()  # includes "none" and algorithms we were not configured for
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self._audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            _log.info("token_rejected", reason=type(exc).__name__)
            raise AuthError() from None
        tenant = claim_at(claims, self._tenant_claim)
        try:
            tenant_id = uuid.UUID(str(tenant))
        except ValueError:
            _log.info("token_rejected", reason="missing_tenant_claim")
            raise AuthError() from None
        return Principal(subject=str(claims["sub"]), tenant_id=tenant_id, claims=claims)


def mint_development_token(
    secret: str,
    tenant_id: uuid.UUID,
    *,
    ttl_seconds: int,
    audience: str,
    tenant_claim: str,
    subject: str = "orion-developer",
) -> str:
    """An HS256 token shaped like Supabase's, for development only (the CLI enforces that)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": subject,
        "aud": audience,
        "role": "authenticated",
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
    }
    *parents, leaf = tenant_claim.split(".")
    node = claims
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = str(tenant_id)
    return jwt.encode(claims, secret, algorithm="HS256")


def parse_duration(text: str) -> int:
    """``90s``, ``30m``, ``1h``, ``2d`` (or bare seconds) -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    try:
        seconds = int(float(text[:-1]) * units[text[-1]]) if text[-1:] in units else int(text)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 30m, 1h, 2d)") from None
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds
