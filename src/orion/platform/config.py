"""Settings: one nested model, read from the environment and an optional env file.

Variable names are the flat names the platforms use (``DATABASE_URL``, ``REDIS_URL``,
``TEMPORAL_ADDRESS``...). A group such as ``temporal`` takes every variable that starts with
``TEMPORAL_``: the first ``_`` separates the group from the field (``TEMPORAL_API_KEY`` ->
``temporal.api_key``). Settings are built on demand by :func:`get_settings`, never at import.
"""

from __future__ import annotations

import os
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from limits import parse as parse_limit
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from orion.platform.config_rules import ConfigError, check_settings, problems_from_validation
from orion.platform.environment import Environment


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list):
        return ",".join(_plain(item) for item in value)
    return str(value)


CsvList = Annotated[list[str], NoDecode]


class _Group(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ApiSettings(_Group):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)
    #: After SIGTERM, readiness answers 503 for this long before uvicorn stops accepting.
    shutdown_drain_seconds: float = Field(default=5.0, ge=0, le=300)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    docs_enabled: bool = False
    debug: bool = False
    health_check_host: str = "healthcheck.railway.app"


class DatabaseSettings(_Group):
    url: SecretStr | None = None
    migration_url: SecretStr | None = None
    pool_size: int = Field(default=10, ge=1)
    max_overflow: int = Field(default=10, ge=0)
    pool_timeout_seconds: float = Field(default=10.0, gt=0)
    statement_timeout_ms: int = Field(default=15_000, ge=0)
    transaction_pooler: bool = False
    embedded_dir: Path = Path(".orion/pgdata")


class RedisSettings(_Group):
    url: SecretStr | None = None


class HealthSettings(_Group):
    """Readiness checks (``HEALTH_*``): per-dependency timeout, and how long a result is reused."""

    timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    cache_seconds: float = Field(default=1.0, ge=0, le=10)


def _rate_limit(value: str) -> str:
    try:
        parse_limit(value)  # the library's own grammar: "600/minute", "10 per second"
    except ValueError:
        raise ValueError("is not a rate limit such as 600/minute") from None
    return value


def _networks(values: list[str]) -> list[str]:
    for value in values:
        try:
            ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"{value!r} is not an IP network (CIDR)") from None
    return values


class RateLimitSettings(_Group):
    """Moving-window limits (``RATELIMIT_*``), shared through REDIS_URL when it is set."""

    enabled: bool = True
    read: str = "600/minute"
    write: str = "120/minute"
    webhook: str = "1200/minute"
    client_ip_headers: CsvList = Field(default_factory=list)
    trusted_proxy_count: int = Field(default=0, ge=0, le=10)
    trusted_proxy_cidrs: CsvList = Field(default_factory=list)
    redis_timeout_seconds: float = Field(default=0.5, gt=0, le=10)
    redis_probe_seconds: float = Field(default=5.0, gt=0, le=300)

    _split_lists = field_validator("client_ip_headers", "trusted_proxy_cidrs", mode="before")(
        _split_csv
    )
    _limits = field_validator("read", "write", "webhook")(_rate_limit)
    _cidrs = field_validator("trusted_proxy_cidrs")(_networks)


class TemporalSettings(_Group):
    address: str | None = None
    namespace: str = "default"
    api_key: SecretStr | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    task_queue: str = "orion"


class StripeSettings(_Group):
    api_key: SecretStr | None = None
    api_base: str = "https://api.stripe.com"
    webhook_tolerance_seconds: int = Field(default=300, ge=1)


class HubSpotSettings(_Group):
    access_token: SecretStr | None = None
    client_secret: SecretStr | None = None
    api_base: str = "https://api.hubapi.com"
    legacy_signatures: bool = False


class SupabaseSettings(_Group):
    url: str | None = None
    anon_key: SecretStr | None = None
    service_role_key: SecretStr | None = None
    jwt_secret: SecretStr | None = None
    jwks_url: str | None = None
    jwt_audience: str = "authenticated"
    tenant_claim: str = "app_metadata.tenant_id"


class LogSettings(_Group):
    level: str = "INFO"
    format: str | None = None  # "json" or "console"; default depends on the environment

    @field_validator("level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level


class SyncSettings(_Group):
    pages_per_activity: int = Field(default=20, ge=1, le=50)


class WorkerSettings(_Group):
    shutdown_grace_seconds: float = Field(default=30.0, ge=0)
    reconcile_interval_seconds: float = Field(default=300.0, ge=5)
    max_concurrent_activities: int = Field(default=20, ge=1)
    metrics_address: str | None = None  # host:port for Orion's worker metrics; unset = off
    temporal_metrics_address: str | None = None  # host:port for the Temporal SDK's metrics


class WebhookSettings(_Group):
    """The webhook inbox (``WEBHOOKS_*``): public URL, group commit, retries, relay."""

    #: Scheme, host (and port) HubSpot calls; HubSpot signs that exact URL. Unset = the
    #: request's own scheme and Host (right only without a TLS-terminating proxy in front).
    public_base_url: str | None = None
    max_attempts: int = Field(default=8, ge=1, le=100)
    batch_max_rows: int = Field(default=500, ge=1, le=10_000)
    writers: int = Field(default=1, ge=1, le=16)
    store_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    cache_seconds: float = Field(default=5.0, ge=0, le=300)
    relay_interval_seconds: float = Field(default=2.0, gt=0, le=300)
    relay_delay_seconds: float = Field(default=5.0, ge=0, le=3600)

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("must be an http(s) URL such as https://api.example.com")
        return value.strip().rstrip("/")


class MetricsSettings(_Group):
    token: SecretStr | None = None


class SentrySettings(_Group):
    dsn: SecretStr | None = None
    in_development: bool = False
    traces_sample_rate: float = Field(default=0.0, ge=0, le=1)


class ChaosSettings(_Group):
    """Fault injection for rollback drills (``CHAOS_*``); refused in production."""

    error_rate: float = Field(default=0.0, ge=0, le=1)
    latency_seconds: float = Field(default=0.0, ge=0, le=60)


class Settings(BaseSettings):
    """Everything Orion reads from its environment, grouped by what it configures."""

    model_config = SettingsConfigDict(
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="ignore",
        frozen=True,
        case_sensitive=False,
        env_ignore_empty=True,
    )

    env: Environment = Field(
        default=Environment.DEVELOPMENT, validation_alias=AliasChoices("ORION_ENV")
    )
    release_id: str = "dev"
    encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    allowed_origins: CsvList = Field(default_factory=list)
    trusted_hosts: CsvList = Field(default_factory=list)

    api: ApiSettings = ApiSettings()
    database: DatabaseSettings = DatabaseSettings()
    redis: RedisSettings = RedisSettings()
    health: HealthSettings = HealthSettings()
    ratelimit: RateLimitSettings = RateLimitSettings()
    temporal: TemporalSettings = TemporalSettings()
    stripe: StripeSettings = StripeSettings()
    hubspot: HubSpotSettings = HubSpotSettings()
    supabase: SupabaseSettings = SupabaseSettings()
    log: LogSettings = LogSettings()
    sync: SyncSettings = SyncSettings()
    worker: WorkerSettings = WorkerSettings()
    metrics: MetricsSettings = MetricsSettings()
    sentry: SentrySettings = SentrySettings()
    chaos: ChaosSettings = ChaosSettings()
    webhooks: WebhookSettings = WebhookSettings()

    _split_lists = field_validator(
        "encryption_keys", "allowed_origins", "trusted_hosts", mode="before"
    )(_split_csv)

    def flat_values(self) -> dict[str, str]:
        """Every set value under its variable name, secrets revealed (for rule checks only)."""
        flat: dict[str, str] = {}
        for name, value in self.__dict__.items():
            if isinstance(value, BaseModel):
                for field, inner in value.__dict__.items():
                    flat[f"{name}_{field}".upper()] = _plain(inner)
            else:
                flat["ORION_ENV" if name == "env" else name.upper()] = _plain(value)
        return {key: value for key, value in flat.items() if value}

    def secret_values(self) -> list[str]:
        """Every configured secret, so logs and error reports can scrub them by value."""
        found: list[str] = [key.get_secret_value() for key in self.encryption_keys]
        for group in self.__dict__.values():
            if isinstance(group, BaseModel):
                found.extend(
                    value.get_secret_value()
                    for value in group.__dict__.values()
                    if isinstance(value, SecretStr)
                )
        return [value for value in found if len(value) >= 6]


def project_root() -> Path:
    """The source checkout this module lives in (where ``config/`` sits), else the cwd."""
    candidate = Path(__file__).resolve().parents[3]
    if (candidate / "config" / "environments").is_dir():
        return candidate
    return Path.cwd()


def default_env_file(env: Environment) -> Path | None:
    """Development reads its committed defaults; deployed environments use real variables."""
    explicit = os.environ.get("ORION_ENV_FILE")
    if explicit:
        return Path(explicit)
    if env is Environment.DEVELOPMENT:
        path = project_root() / "config" / "environments" / "development.env"
        return path if path.is_file() else None
    return None


def read_settings(env: Environment | None = None, env_file: Path | None = None) -> Settings:
    """Parse settings without the safety rules (``config check`` wants to see everything).

    Precedence: ``env`` argument, then process variables, then the env file.
    """
    if env_file is None:
        try:
            assumed = env or Environment(os.environ.get("ORION_ENV", "development"))
        except ValueError:  # reported by validation below, with the allowed values
            assumed = Environment.DEVELOPMENT
        env_file = default_env_file(assumed)
    overrides: dict[str, Any] = {"env": env} if env is not None else {}
    return Settings(_env_file=env_file, **overrides)


def load_settings(env: Environment | None = None, env_file: Path | None = None) -> Settings:
    """Parse and apply the safety rules; raise one ``ConfigError`` listing every problem."""
    try:
        settings = read_settings(env, env_file)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc)) from None
    problems = check_settings(settings)
    if problems:
        raise ConfigError(problems)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's validated settings, built once on first use."""
    return load_settings()
