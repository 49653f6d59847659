"""The credential vault: provider secrets encrypted at rest with rotatable keys.

``ENCRYPTION_KEYS`` lists Fernet keys, primary first. New ciphertexts are written with the
primary key; any listed key can read. Each ciphertext is stored with the id of the key that
wrote it, so an operator can see how many rows still depend on an old key before removing it.
A Fernet token is authenticated: one changed byte fails loudly instead of decrypting to garbage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class VaultError(Exception):
    """A secret could not be encrypted or decrypted with the configured keys."""


def key_id(key: str) -> str:
    """A short public fingerprint of a key (safe to store and to show)."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def generate_key() -> str:
    return Fernet.generate_key().decode()


@dataclass(frozen=True)
class Sealed:
    token: bytes
    key_id: str


class Vault:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise VaultError("no encryption keys configured (ENCRYPTION_KEYS)")
        try:
            self._fernets = [Fernet(key.encode()) for key in keys]
        except (ValueError, TypeError) as exc:
            raise VaultError("ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc
        self._multi = MultiFernet(self._fernets)
        self.key_ids = [key_id(key) for key in keys]
        self.primary_key_id = self.key_ids[0]

    def seal(self, plaintext: bytes) -> Sealed:
        return Sealed(self._fernets[0].encrypt(plaintext), self.primary_key_id)

    def open(self, token: bytes) -> bytes:
        try:
            return self._multi.decrypt(token)
        except InvalidToken:
            raise VaultError(
                "a stored secret cannot be decrypted with the configured ENCRYPTION_KEYS "
                "(it was tampered with, or the key that wrote it was removed)"
            ) from None

    def reseal(self, token: bytes) -> Sealed:
        """The same plaintext under the primary key (rotation)."""
        return self.seal(self.open(token))
