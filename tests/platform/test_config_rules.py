"""The validation matrix: each rule on its own, and all problems reported together."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from orion.platform.config import load_settings
from orion.platform.config_rules import (
    DEVELOPMENT_ENCRYPTION_KEY,
    ConfigError,
    check_settings,
    problems_from_validation,
)
from orion.platform.environment import Environment
from tests.fixtures.settings import SettingsFactory, production_values


def variables(problems: list) -> set[str]:
    return {p.variable for p in problems}


def test_valid_production_settings_have_no_problems(settings_factory: SettingsFactory) -> None:
    assert check_settings(settings_factory("production", **production_values())) == []


def test_development_defaults_are_valid(settings_factory: SettingsFactory) -> None:
    settings = settings_factory("development")
    assert check_settings(settings) == []
    assert settings.encryption_keys[0].get_secret_value() == DEVELOPMENT_ENCRYPTION_KEY


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("STRIPE_API_KEY", "sk_test_51Hx9GkQ2pR7mN4vL8tY3wZ", "STRIPE_API_KEY"),
        ("STRIPE_API_KEY", "rk_test_51Hx9GkQ2pR7mN4vL8tY3wZ", "STRIPE_API_KEY"),
        ("HUBSPOT_CLIENT_SECRET", "change-me", "HUBSPOT_CLIENT_SECRET"),
        ("SUPABASE_JWT_SECRET", "<supabase-jwt-secret>", "SUPABASE_JWT_SECRET"),
        (
            "SUPABASE_JWT_SECRET",
            "orion-development-jwt-secret-do-not-use-elsewhere",
            "SUPABASE_JWT_SECRET",
        ),
        ("ENCRYPTION_KEYS", "", "ENCRYPTION_KEYS"),
        ("ENCRYPTION_KEYS", "not-a-fernet-key", "ENCRYPTION_KEYS"),
        ("ENCRYPTION_KEYS", DEVELOPMENT_ENCRYPTION_KEY, "ENCRYPTION_KEYS"),
        ("ALLOWED_ORIGINS", "*", "ALLOWED_ORIGINS"),
        ("ALLOWED_ORIGINS", "http://orion-ai.vercel.app", "ALLOWED_ORIGINS"),
        ("ALLOWED_ORIGINS", "https://*.vercel.app", "ALLOWED_ORIGINS"),
        ("ALLOWED_ORIGINS", "https://orion-ai.vercel.app/path", "ALLOWED_ORIGINS"),
        ("TRUSTED_HOSTS", "", "TRUSTED_HOSTS"),
        ("DATABASE_URL", "", "DATABASE_URL"),
        ("REDIS_URL", "", "REDIS_URL"),
        ("TEMPORAL_ADDRESS", "", "TEMPORAL_ADDRESS"),
        ("METRICS_TOKEN", "", "METRICS_TOKEN"),
        ("API_DOCS_ENABLED", "true", "API_DOCS_ENABLED"),
        ("API_DEBUG", "true", "API_DEBUG"),
        ("API_PORT", "not-a-port", "API_PORT"),
    ],
)
def test_production_refuses(
    settings_factory: SettingsFactory, variable: str, value: str, expected: str
) -> None:
    values = production_values() | {variable: value}
    try:
        problems = check_settings(settings_factory("production", **values))
    except ValidationError as exc:  # type errors surface at parse time
        problems = problems_from_validation(exc)
    assert expected in variables(problems)


def test_every_problem_is_reported_in_one_error(
    settings_factory: SettingsFactory, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    values = production_values() | {
        "STRIPE_API_KEY": "sk_test_abcdef123456",
        "ALLOWED_ORIGINS": "*",
        "TRUSTED_HOSTS": "",
        "REDIS_URL": "",
        "API_DOCS_ENABLED": "true",
        "ENCRYPTION_KEYS": DEVELOPMENT_ENCRYPTION_KEY,
    }
    env_file = tmp_path / "prod.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    with pytest.raises(ConfigError) as caught:
        load_settings(Environment.PRODUCTION, env_file)
    reported = variables(caught.value.problems)
    assert {
        "STRIPE_API_KEY",
        "ALLOWED_ORIGINS",
        "TRUSTED_HOSTS",
        "REDIS_URL",
        "API_DOCS_ENABLED",
        "ENCRYPTION_KEYS",
    } <= reported
    message = str(caught.value)
    assert message.startswith(f"{len(caught.value.problems)} configuration problem(s)")
    assert message.count("\n  - ") == len(caught.value.problems)


def test_type_errors_are_reported_with_the_other_problems(
    settings_factory: SettingsFactory, tmp_path
) -> None:
    env_file = tmp_path / "bad.env"
    env_file.write_text("API_PORT=eighty\nAPI_WORKERS=zero\nLOG_LEVEL=LOUD\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(Environment.DEVELOPMENT, env_file)
    assert {"API_PORT", "API_WORKERS", "LOG_LEVEL"} <= variables(caught.value.problems)


def test_staging_refuses_live_keys_and_accepts_test_keys(
    settings_factory: SettingsFactory,
) -> None:
    base = production_values() | {"ORION_ENV": "staging"}
    live = settings_factory("staging", **base)
    assert "STRIPE_API_KEY" in variables(check_settings(live))
    test_key = settings_factory("staging", **(base | {"STRIPE_API_KEY": "sk_test_51HxQ2pR7mN4"}))
    assert check_settings(test_key) == []


def test_development_refuses_live_keys(settings_factory: SettingsFactory) -> None:
    settings = settings_factory("development", STRIPE_API_KEY="sk_live_51Hx9GkQ2pR7mN4vL8")
    assert variables(check_settings(settings)) == {"STRIPE_API_KEY"}


def test_primary_key_first_and_rotation_keys_accepted(settings_factory: SettingsFactory) -> None:
    keys = [Fernet.generate_key().decode() for _ in range(2)]
    settings = settings_factory(
        "production", **(production_values() | {"ENCRYPTION_KEYS": ",".join(keys)})
    )
    assert [k.get_secret_value() for k in settings.encryption_keys] == keys
    assert check_settings(settings) == []


def test_mtls_files_must_come_in_pairs(settings_factory: SettingsFactory) -> None:
    settings = settings_factory("production", **production_values(), TEMPORAL_TLS_CERT="/c.pem")
    assert "TEMPORAL_TLS_CERT" in variables(check_settings(settings))


def test_problem_messages_never_echo_secret_values(settings_factory: SettingsFactory) -> None:
    values = production_values() | {"STRIPE_API_KEY": "sk_test_CANARY0123456789"}
    problems = check_settings(settings_factory("production", **values))
    assert problems
    assert all("CANARY" not in p.message for p in problems)
