"""Connecting provider accounts: validate against the provider, encrypt, store. Never commits."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from orion.connections import repository
from orion.connections.providers import ConnectorFactory
from orion.connections.schemas import (
    ConnectionCreate,
    ConnectionRead,
    ConnectionUpdate,
    StripeConnectionCreate,
)
from orion.connectors.errors import BadCredentials, ConnectorError, RateLimited, Transient
from orion.platform.crypto import Vault
from orion.platform.errors import BadGateway, Conflict, NotFound, Unprocessable
from orion.records.unified import Provider
from orion.tenants.repository import record_audit


def to_read(row: Row[Any]) -> ConnectionRead:
    return ConnectionRead.model_validate(
        {**row._mapping, "has_webhook_secrets": row.webhook_secrets_key_id is not None}
    )


async def validate_credential(
    connectors: ConnectorFactory, provider: Provider, credential: SecretStr
) -> str:
    """The provider's account id for ``credential``, or an error a user can act on."""
    connector = connectors.build(provider, credential)
    try:
        return await connector.validate()
    except BadCredentials as exc:
        raise Unprocessable(exc.message) from None
    except (RateLimited, Transient) as exc:
        raise BadGateway(f"{provider.value} could not be reached: {exc.message}") from None
    except ConnectorError as exc:
        raise Unprocessable(f"{provider.value} refused the credential: {exc.message}") from None
    finally:
        await connector.aclose()


def _seal_secrets(vault: Vault, secrets: list[SecretStr]) -> dict[str, Any]:
    if not secrets:
        return {"webhook_secrets": None, "webhook_secrets_key_id": None}
    sealed = vault.seal(json.dumps([s.get_secret_value() for s in secrets]).encode())
    return {"webhook_secrets": sealed.token, "webhook_secrets_key_id": sealed.key_id}


def _credential_of(body: ConnectionCreate) -> SecretStr:
    return body.api_key if isinstance(body, StripeConnectionCreate) else body.access_token


async def create(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    body: ConnectionCreate,
    *,
    vault: Vault,
    connectors: ConnectorFactory,
    actor: str,
) -> ConnectionRead:
    credential = _credential_of(body)
    account = await validate_credential(connectors, body.provider, credential)
    sealed = vault.seal(credential.get_secret_value().encode())
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "provider": body.provider.value,
        "external_account_id": account,
        "display_name": body.display_name,
        "credentials": sealed.token,
        "credentials_key_id": sealed.key_id,
        "sync_interval_seconds": body.sync_interval_seconds,
    }
    if isinstance(body, StripeConnectionCreate):
        values.update(_seal_secrets(vault, body.webhook_secrets))
    await repository.ensure_tenant(session, tenant_id)
    try:
        async with session.begin_nested():
            row = await repository.insert_connection(session, values)
    except IntegrityError:
        raise Conflict(
            f"This {body.provider.value} account ({account}) is already connected."
        ) from None
    await record_audit(
        session,
        tenant_id,
        actor=actor,
        action="connection.created",
        target_type="connection",
        target_id=str(row.id),
        details={"provider": body.provider.value, "external_account_id": account},
    )
    return to_read(row)


async def get(session: AsyncSession, connection_id: uuid.UUID) -> ConnectionRead:
    row = await repository.get_connection(session, connection_id)
    if row is None:
        raise NotFound(f"No connection with id {connection_id}.")
    return to_read(row)


async def update(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    connection_id: uuid.UUID,
    body: ConnectionUpdate,
    *,
    vault: Vault,
    connectors: ConnectorFactory,
    actor: str,
) -> ConnectionRead:
    current = await repository.get_connection(session, connection_id, lock=True)
    if current is None:
        raise NotFound(f"No connection with id {connection_id}.")
    provider = Provider(current.provider)
    values: dict[str, Any] = body.model_dump(
        include={"display_name", "sync_interval_seconds", "status"}, exclude_unset=True
    )
    credential = body.api_key if provider is Provider.STRIPE else body.access_token
    wrong = body.access_token if provider is Provider.STRIPE else body.api_key
    if wrong is not None:
        field = "access_token" if provider is Provider.STRIPE else "api_key"
        raise Unprocessable(f"{field} does not apply to a {provider.value} connection.")
    if credential is not None:
        account = await validate_credential(connectors, provider, credential)
        if account != current.external_account_id:
            raise Unprocessable(
                f"The new credential belongs to {account}, not {current.external_account_id}."
            )
        sealed = vault.seal(credential.get_secret_value().encode())
        values.update(credentials=sealed.token, credentials_key_id=sealed.key_id)
        values.setdefault("status", "active")
        values["status_reason"] = None
    elif values.get("status") == "active" and current.status == "needs_reauth":
        raise Unprocessable("Provide a new credential to re-activate this connection.")
    if body.webhook_secrets is not None:
        if provider is not Provider.STRIPE:
            raise Unprocessable("webhook_secrets apply to Stripe connections only.")
        values.update(_seal_secrets(vault, body.webhook_secrets))
    row = await repository.update_connection(session, connection_id, values)
    assert row is not None
    changed = sorted(k for k in values if k not in ("credentials", "webhook_secrets"))
    await record_audit(
        session,
        tenant_id,
        actor=actor,
        action="connection.updated",
        target_type="connection",
        target_id=str(connection_id),
        details={"changed": changed},
    )
    return to_read(row)


async def delete(
    session: AsyncSession, tenant_id: uuid.UUID, connection_id: uuid.UUID, *, actor: str
) -> None:
    if not await repository.delete_connection(session, connection_id):
        raise NotFound(f"No connection with id {connection_id}.")
    await record_audit(
        session,
        tenant_id,
        actor=actor,
        action="connection.deleted",
        target_type="connection",
        target_id=str(connection_id),
    )
