"""The credential vault: authenticated, rotatable, useless without its keys."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from orion.platform.crypto import Vault, VaultError, generate_key, key_id
from orion.platform.db import Database, PoolOptions, create_engine
from orion.tenants.repository import create_tenant
from tests.fixtures.postgres import TestDatabase
from tests.fixtures.records import insert_connection

SECRET = b'{"api_key": "sk_live_VAULTCANARY123456"}'


def test_round_trip_and_key_ids() -> None:
    key = generate_key()
    vault = Vault([key])
    sealed = vault.seal(SECRET)
    assert SECRET not in sealed.token
    assert sealed.key_id == key_id(key) == vault.primary_key_id
    assert vault.open(sealed.token) == SECRET


def test_one_flipped_byte_is_a_clear_error_never_garbage() -> None:
    vault = Vault([generate_key()])
    token = bytearray(vault.seal(SECRET).token)
    for position in (10, len(token) // 2, len(token) - 5):
        tampered = bytearray(token)
        tampered[position] ^= 0x01
        with pytest.raises(VaultError, match="cannot be decrypted"):
            vault.open(bytes(tampered))


def test_old_keys_still_read_and_new_writes_use_the_primary() -> None:
    old, new = generate_key(), generate_key()
    written_with_old = Vault([old]).seal(SECRET)
    rotated_vault = Vault([new, old])
    assert rotated_vault.open(written_with_old.token) == SECRET
    resealed = rotated_vault.reseal(written_with_old.token)
    assert resealed.key_id == key_id(new)
    assert Vault([new]).open(resealed.token) == SECRET
    with pytest.raises(VaultError):
        Vault([new]).open(written_with_old.token)


def test_invalid_keys_are_refused() -> None:
    with pytest.raises(VaultError):
        Vault([])
    with pytest.raises(VaultError, match="not a Fernet key"):
        Vault(["not-a-key"])


async def test_a_database_dump_without_the_keys_reveals_nothing(
    fresh_database: TestDatabase,
) -> None:
    vault = Vault([generate_key()])
    database = Database(create_engine(fresh_database.app_url, PoolOptions(size=1)))
    tenant = uuid.uuid4()
    try:
        async with database.tenant_transaction(tenant) as session:
            await create_tenant(session, tenant, "dumped")
            await insert_connection(session, tenant, vault, secret=SECRET, webhook_secrets=SECRET)
    finally:
        await database.dispose()
    owner = await asyncpg.connect(fresh_database.owner_url)
    try:
        dump: list[bytes] = []

        async def sink(chunk: bytes) -> None:
            dump.append(chunk)

        await owner.copy_from_table("connections", output=sink, format="binary")
        tokens = await owner.fetch("SELECT credentials, webhook_secrets FROM connections")
    finally:
        await owner.close()
    raw = b"".join(dump)
    assert b"VAULTCANARY" not in raw and b"sk_live" not in raw
    stranger = Vault([generate_key()])
    for row in tokens:
        for token in row:
            with pytest.raises(VaultError):
                stranger.open(bytes(token))
            assert vault.open(bytes(token)) == SECRET
