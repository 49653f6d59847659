"""Sign-in: Supabase tokens accepted, everything else refused with a bare 401."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.api_jws import PyJWS
from typer.testing import CliRunner

from orion.entrypoints.api import create_app
from orion.entrypoints.cli import app as cli
from orion.platform import config
from orion.platform.auth import (
    AuthError,
    JwksCache,
    TokenVerifier,
    mint_development_token,
    parse_duration,
)
from orion.platform.resources import build_resources
from tests.fixtures.http import asgi_client
from tests.fixtures.jwks import JwksServer
from tests.fixtures.settings import SettingsFactory, production_values

SECRET = "test-hs256-secret-that-is-long-enough-0123456789"
TENANT = uuid.UUID("6b0f8f0e-3a4c-4b8e-9a55-1f2e3d4c5b6a")
jws = PyJWS(algorithms=["HS256"])
jws._algorithms["HS256"].prepare_key = lambda key: key  # type: ignore[method-assign]  # allow the forgery


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "user-1",
        "aud": "authenticated",
        "exp": now + 600,
        "iat": now,
        "app_metadata": {"tenant_id": str(TENANT)},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
async def verifier(jwks_server: JwksServer) -> AsyncIterator[TokenVerifier]:
    async with httpx.AsyncClient() as client:
        yield TokenVerifier(
            hs256_secret=SECRET,
            jwks=JwksCache(jwks_server.url, client),
            audience="authenticated",
            tenant_claim="app_metadata.tenant_id",
        )


def rs256(server: JwksServer, payload: dict[str, Any], kid: str | None = None) -> str:
    return jwt.encode(
        payload, server.private_key, algorithm="RS256", headers={"kid": kid or server.kid}
    )


async def test_hs256_and_jwks_tokens_are_accepted(
    verifier: TokenVerifier, jwks_server: JwksServer
) -> None:
    hs = await verifier.verify(jwt.encode(claims(), SECRET, algorithm="HS256"))
    rs = await verifier.verify(rs256(jwks_server, claims(sub="user-2")))
    assert (hs.tenant_id, hs.subject) == (TENANT, "user-1")
    assert (rs.tenant_id, rs.subject) == (TENANT, "user-2")
    await verifier.verify(rs256(jwks_server, claims()))
    assert len(jwks_server.requests) == 1  # cached after the first fetch


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "not_yet_valid",
        "wrong_audience",
        "wrong_signature",
        "alg_none",
        "missing_tenant",
        "malformed_tenant",
        "unknown_kid",
        "hs256_signed_with_public_key",
        "garbage",
    ],
)
async def test_bad_tokens_are_rejected(
    verifier: TokenVerifier, jwks_server: JwksServer, case: str
) -> None:
    now = int(time.time())
    public_pem = jwks_server.private_key.public_key().public_bytes(
        encoding=Encoding.PEM, format=PublicFormat.SubjectPublicKeyInfo
    )
    tokens = {
        "expired": jwt.encode(claims(exp=now - 120), SECRET, algorithm="HS256"),
        "not_yet_valid": jwt.encode(claims(nbf=now + 600), SECRET, algorithm="HS256"),
        "wrong_audience": jwt.encode(claims(aud="service_role"), SECRET, algorithm="HS256"),
        "wrong_signature": jwt.encode(claims(), SECRET + "x", algorithm="HS256"),
        "alg_none": jwt.encode(claims(), None, algorithm="none"),
        "missing_tenant": jwt.encode(claims(app_metadata={}), SECRET, algorithm="HS256"),
        "malformed_tenant": jwt.encode(
            claims(app_metadata={"tenant_id": "acme"}), SECRET, algorithm="HS256"
        ),
        "unknown_kid": rs256(jwks_server, claims(), kid="rotated-away"),
        # the classic algorithm-confusion forgery: HMAC keyed with the public key
        "hs256_signed_with_public_key": jws.encode(
            json.dumps(claims()).encode(), key=public_pem, algorithm="HS256"
        ),
        "garbage": "not.a.jwt",
    }
    with pytest.raises(AuthError):
        await verifier.verify(tokens[case])


async def test_api_answers_401_with_www_authenticate_and_no_detail(
    settings_factory: SettingsFactory,
) -> None:
    settings = settings_factory("development")
    resources = build_resources(settings, "test")
    app = create_app(settings, resources)
    secret = settings.supabase.jwt_secret.get_secret_value()  # type: ignore[union-attr]
    good = mint_development_token(
        secret,
        TENANT,
        ttl_seconds=60,
        audience="authenticated",
        tenant_claim="app_metadata.tenant_id",
    )
    expired = jwt.encode(claims(exp=int(time.time()) - 300), secret, algorithm="HS256")
    try:
        async with asgi_client(app) as client:
            missing = await client.get("/api/v1/me")
            bad = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
            ok = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"})
    finally:
        await resources.close()
    for response in (missing, bad):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"]["message"] == "A valid bearer token is required."
    assert ok.status_code == 200
    assert ok.json() == {"subject": "orion-developer", "tenant_id": str(TENANT)}


def test_token_cli_mints_in_development_only(
    clean_environ: None, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    runner = CliRunner()
    config.get_settings.cache_clear()
    try:
        minted = runner.invoke(cli, ["token", "create", "--tenant", str(TENANT), "--ttl", "1h"])
        assert minted.exit_code == 0, minted.output
        token = minted.output.strip()
        decoded = jwt.decode(
            token,
            "orion-development-jwt-secret-do-not-use-elsewhere",
            algorithms=["HS256"],
            audience="authenticated",
        )
        assert decoded["app_metadata"]["tenant_id"] == str(TENANT)
        assert 3590 <= decoded["exp"] - decoded["iat"] <= 3600
        prod = tmp_path / "prod.env"
        prod.write_text("".join(f"{k}={v}\n" for k, v in production_values().items()))
        monkeypatch.setenv("ORION_ENV", "production")
        monkeypatch.setenv("ORION_ENV_FILE", str(prod))
        config.get_settings.cache_clear()
        refused = runner.invoke(cli, ["token", "create", "--tenant", str(TENANT)])
        assert refused.exit_code == 2
        assert "only works in development" in refused.output
    finally:
        config.get_settings.cache_clear()


def test_durations() -> None:
    assert parse_duration("90s") == 90
    assert parse_duration("30m") == 1800
    assert parse_duration("1h") == 3600
    assert parse_duration("2d") == 172800
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("soon")
