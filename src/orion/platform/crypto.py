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
from typing import Protocol

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


class VaultObserver(Protocol):
    """Told about every operation (``VaultMetrics`` counts them)."""

    def record(self, op: str, outcome: str) -> None: ...


class Vault:
    def __init__(self, keys: Sequence[str], *, metrics: VaultObserver | None = None) -> None:
        if not keys:
            raise VaultError("no encryption keys configured (ENCRYPTION_KEYS)")
        try:
            self._fernets = [Fernet(key.encode()) for key in keys]
        except (ValueError, TypeError) as exc:
            raise VaultError("ENCRYPTION_KEYS holds a key that is not a Fernet key") from exc
        self._multi = MultiFernet(self._fernets)
        self.key_ids = [key_id(key) for key in keys]
        self.primary_key_id = self.key_ids[0]
        self._metrics = metrics

    def seal(self, plaintext: bytes) -> Sealed:
        sealed = self._seal(plaintext)
        self._record("seal", "ok")
        return sealed

    def open(self, token: bytes) -> bytes:
        try:
            plaintext = self._open(token)
        except VaultError:
            self._record("open", "error")
            raise
        self._record("open", "ok")
        return plaintext

    def reseal(self, token: bytes) -> Sealed:
        """The same plaintext under the primary key (rotation)."""
        try:
            sealed = self._seal(self._open(token))
        except VaultError:
            self._record("reseal", "error")
            raise
        self._record("reseal", "ok")
        return sealed

    def _record(self, op: str, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.record(op, outcome)

    def _seal(self, plaintext: bytes) -> Sealed:
        return Sealed(self._fernets[0].encrypt(plaintext), self.primary_key_id)

    def _open(self, token: bytes) -> bytes:
        try:
            return self._multi.decrypt(token)
        except InvalidToken:
            raise VaultError(
                "a stored secret cannot be decrypted with the configured ENCRYPTION_KEYS "
                "(it was tampered with, or the key that wrote it was removed)"
            ) from None
