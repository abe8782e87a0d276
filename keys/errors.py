"""Exceptions raised by the signing-key store.

Every message is meant to be shown to an operator as is: it says what is
wrong and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "CorruptKeyStore",
    "GenerationRefused",
    "KeyDecryptionError",
    "KeyStoreError",
    "NoActiveKey",
    "PruneRefused",
    "RotationRefused",
    "UnsupportedAlgorithm",
]


class KeyStoreError(Exception):
    """Root of all errors raised by the ``keys`` package."""


class UnsupportedAlgorithm(KeyStoreError, ValueError):
    """The requested JWS algorithm is not one the store can manage."""


class GenerationRefused(KeyStoreError):
    """A key cannot be generated now (e.g. a ``next`` key is already staged)."""


class RotationRefused(KeyStoreError):
    """A rotation would break relying parties (or there is nothing to rotate to)."""


class PruneRefused(KeyStoreError):
    """Pruning would remove keys that may still verify unexpired tokens."""


class KeyDecryptionError(KeyStoreError):
    """A private key file could not be decrypted (usually a wrong passphrase)."""


class NoActiveKey(KeyStoreError):
    """There is no ``active`` key for the requested algorithm."""


class CorruptKeyStore(KeyStoreError):
    """The key directory's files are inconsistent, unreadable or tampered with."""
