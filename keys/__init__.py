"""Signing-key management for the IdP: next → active → retiring → removed.

See :mod:`keys.rotation` for the lifecycle rules, :class:`KeyStore` for the
file-backed store and :data:`keys.cli.keys_cli` for the ``idp keys`` commands.
"""

from .errors import (
    CorruptKeyStore,
    GenerationRefused,
    KeyDecryptionError,
    KeyStoreError,
    NoActiveKey,
    PruneRefused,
    RotationRefused,
    UnsupportedAlgorithm,
)
from .rotation import SUPPORTED_ALGORITHMS, KeyRecord, KeyState
from .store import KeyStore, PruneResult, RotationResult, SigningKey

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "CorruptKeyStore",
    "GenerationRefused",
    "KeyDecryptionError",
    "KeyRecord",
    "KeyState",
    "KeyStore",
    "KeyStoreError",
    "NoActiveKey",
    "PruneRefused",
    "PruneResult",
    "RotationRefused",
    "RotationResult",
    "SigningKey",
    "UnsupportedAlgorithm",
]
