"""Settings parsing: flat platform variable names land in the nested model."""

from __future__ import annotations

import pytest

from orion.platform import config
from orion.platform.config_rules import DEVELOPMENT_ENCRYPTION_KEY, development_secret_values
from tests.fixtures.settings import SettingsFactory, production_values


def test_flat_names_fill_nested_groups(settings_factory: SettingsFactory) -> None:
    settings = settings_factory(
        "production",
        **production_values(),
        TEMPORAL_TLS_CERT="/etc/orion/client.pem",
        TEMPORAL_TLS_KEY="/etc/orion/client.key",
        API_MAX_BODY_BYTES="2048",
    )
    assert settings.temporal.address == "orion-prod.a1b2c.tmprl.cloud:7233"
    assert settings.temporal.api_key is not None
    assert str(settings.temporal.tls_key) == "/etc/orion/client.key"
    assert settings.api.max_body_bytes == 2048
    assert settings.allowed_origins == ["https://orion-ai.vercel.app"]


def test_secrets_are_hidden_in_repr(settings_factory: SettingsFactory) -> None:
    settings = settings_factory("production", **production_values())
    assert "sk_live_51Hx9GkQ2pR7mN4vL8tY3wZ" not in repr(settings)
    assert "sk_live_51Hx9GkQ2pR7mN4vL8tY3wZ" in settings.secret_values()


def test_get_settings_is_cached_and_not_built_at_import(
    clean_environ: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    config.get_settings.cache_clear()
    try:
        first = config.get_settings()
        assert config.get_settings() is first
    finally:
        config.get_settings.cache_clear()


def test_process_variables_override_the_env_file(
    settings_factory: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_PORT", "9123")
    assert settings_factory("development").api.port == 9123


def test_committed_development_key_matches_the_constant() -> None:
    assert DEVELOPMENT_ENCRYPTION_KEY in development_secret_values()
    env_file = config.project_root() / "config/environments/development.env"
    assert f"ENCRYPTION_KEYS={DEVELOPMENT_ENCRYPTION_KEY}" in env_file.read_text()
