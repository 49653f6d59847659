"""Safety rules for settings: every problem is collected, none stops the search for the next.

A deploy that fails on the first bad variable, then on the second after a redeploy, wastes
an operator's afternoon; one error listing all of them does not.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import SecretStr, ValidationError

from orion.platform.environment import Environment

if TYPE_CHECKING:
    from orion.platform.config import Settings

#: The committed development key (config/environments/development.env). Refused when deployed.
DEVELOPMENT_ENCRYPTION_KEY = "b3Jpb24tZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="

_PLACEHOLDER = re.compile(
    r"change[-_ ]?me|replace[-_ ]?me|placeholder|your[-_]|example|<[^>]*>|^x{3,}$|^\.\.\.$"
    r"|dummy|^secret$|^password$|not[-_]secret",
    re.IGNORECASE,
)
_LIVE_KEY = re.compile(r"^(sk|rk|pk)_live_")
_TEST_KEY = re.compile(r"^(sk|rk|pk)_test_")
_TOP_LEVEL_NAMES = {"env": "ORION_ENV"}


@dataclass(frozen=True, slots=True)
class Problem:
    variable: str
    message: str


class ConfigError(Exception):
    """Settings that must not be used; ``str()`` lists every problem, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p.variable}: {p.message}" for p in problems)
        super().__init__(f"{len(problems)} configuration problem(s):\n{lines}")


def variable_name(location: Iterable[str | int]) -> str:
    """``("temporal", "api_key")`` -> ``TEMPORAL_API_KEY``: the name an operator sets."""
    parts = [str(part) for part in location if not isinstance(part, int)]
    if len(parts) == 1 and parts[0] in _TOP_LEVEL_NAMES:
        return _TOP_LEVEL_NAMES[parts[0]]
    return "_".join(parts[:2]).upper()


def problems_from_validation(error: ValidationError) -> list[Problem]:
    """Type errors, phrased without echoing the offending value (it may be a secret)."""
    return [Problem(variable_name(e["loc"]), e["msg"]) for e in error.errors()]


@lru_cache(maxsize=1)
def development_secret_values() -> frozenset[str]:
    """Values committed in development.env: public knowledge, so never acceptable elsewhere."""
    path = Path(__file__).resolve().parents[3] / "config" / "environments" / "development.env"
    values = {DEVELOPMENT_ENCRYPTION_KEY}
    if path.is_file():
        values.update(v for v in dotenv_values(path).values() if v and len(v) >= 8)
    return frozenset(values)


def _secret(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def _secret_fields(settings: Settings) -> dict[str, str]:
    return {
        "STRIPE_API_KEY": _secret(settings.stripe.api_key),
        "HUBSPOT_ACCESS_TOKEN": _secret(settings.hubspot.access_token),
        "HUBSPOT_CLIENT_SECRET": _secret(settings.hubspot.client_secret),
        "SUPABASE_ANON_KEY": _secret(settings.supabase.anon_key),
        "SUPABASE_SERVICE_ROLE_KEY": _secret(settings.supabase.service_role_key),
        "SUPABASE_JWT_SECRET": _secret(settings.supabase.jwt_secret),
        "TEMPORAL_API_KEY": _secret(settings.temporal.api_key),
        "METRICS_TOKEN": _secret(settings.metrics.token),
        "DATABASE_URL": _secret(settings.database.url),
        "REDIS_URL": _secret(settings.redis.url),
        "SENTRY_DSN": _secret(settings.sentry.dsn),
    }


def _provider_key_rules(settings: Settings) -> Iterator[Problem]:
    key = _secret(settings.stripe.api_key)
    if settings.env is Environment.PRODUCTION and _TEST_KEY.match(key):
        yield Problem("STRIPE_API_KEY", "is a test key; production needs a live key")
    if settings.env is not Environment.PRODUCTION and _LIVE_KEY.match(key):
        yield Problem("STRIPE_API_KEY", f"is a live key; {settings.env.value} takes test keys only")


def _encryption_rules(settings: Settings) -> Iterator[Problem]:
    keys = [k.get_secret_value() for k in settings.encryption_keys]
    if not keys:
        yield Problem(
            "ENCRYPTION_KEYS", "is missing; generate one with `orion secrets generate-key`"
        )
        return
    for position, key in enumerate(keys, start=1):
        if _PLACEHOLDER.search(key):
            continue  # reported once by the placeholder rule
        if not _is_fernet_key(key):
            yield Problem("ENCRYPTION_KEYS", f"key #{position} is not a valid Fernet key")
        elif settings.env.deployed and key == DEVELOPMENT_ENCRYPTION_KEY:
            yield Problem("ENCRYPTION_KEYS", f"key #{position} is the public development key")


def _deployed_value_rules(settings: Settings) -> Iterator[Problem]:
    dev_values = development_secret_values()
    secrets = {name for name, value in _secret_fields(settings).items() if value}
    for name, value in settings.flat_values().items():
        if _PLACEHOLDER.search(value):
            yield Problem(name, "still holds a placeholder value")
        elif name in secrets and value in dev_values:
            yield Problem(name, "holds a development value")


def _required_when_deployed(settings: Settings) -> Iterator[Problem]:
    required = {
        "DATABASE_URL": settings.database.url,
        "REDIS_URL": settings.redis.url,
        "TEMPORAL_ADDRESS": settings.temporal.address,
        "METRICS_TOKEN": settings.metrics.token,
    }
    for name, value in required.items():
        if not (_secret(value) if isinstance(value, SecretStr) else value):
            yield Problem(name, f"is required in {settings.env.value}")
    if not settings.trusted_hosts:
        yield Problem("TRUSTED_HOSTS", f"is required in {settings.env.value}")
    if settings.supabase.jwt_secret is None and not settings.supabase.jwks_url:
        yield Problem("SUPABASE_JWT_SECRET", "or SUPABASE_JWKS_URL is required to verify sign-ins")


def _origin_rules(settings: Settings) -> Iterator[Problem]:
    for origin in settings.allowed_origins:
        parts = urlsplit(origin)
        if origin == "*" or "*" in origin:
            if settings.env.deployed:
                yield Problem("ALLOWED_ORIGINS", f"wildcard origin {origin!r} is not allowed")
            continue
        if not parts.scheme or not parts.netloc or parts.path not in ("", "/"):
            yield Problem("ALLOWED_ORIGINS", f"{origin!r} is not an origin (scheme://host[:port])")
        elif settings.env.deployed and parts.scheme != "https":
            yield Problem("ALLOWED_ORIGINS", f"{origin!r} must use https")


def _switch_rules(settings: Settings) -> Iterator[Problem]:
    if settings.env is Environment.PRODUCTION:
        if settings.api.docs_enabled:
            yield Problem("API_DOCS_ENABLED", "must be off in production")
        if settings.api.debug:
            yield Problem("API_DEBUG", "must be off in production")
        if settings.chaos.error_rate > 0:
            yield Problem("CHAOS_ERROR_RATE", "must be 0 in production (fault injection)")
        if settings.chaos.latency_seconds > 0:
            yield Problem("CHAOS_LATENCY_SECONDS", "must be 0 in production (fault injection)")
        if not settings.ratelimit.enabled:
            yield Problem("RATELIMIT_ENABLED", "must be on in production")
    temporal = settings.temporal
    if (temporal.tls_cert is None) != (temporal.tls_key is None):
        yield Problem("TEMPORAL_TLS_CERT", "and TEMPORAL_TLS_KEY must be set together")


def check_settings(settings: Settings) -> list[Problem]:
    """All problems with ``settings`` for its environment; empty means safe to run."""
    problems = [
        *_provider_key_rules(settings),
        *_encryption_rules(settings),
        *_origin_rules(settings),
        *_switch_rules(settings),
    ]
    if settings.env.deployed:
        problems += [*_required_when_deployed(settings), *_deployed_value_rules(settings)]
    return problems
