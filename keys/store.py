"""File-backed signing-key store shared by all IdP workers.

Layout of the key directory (mode 0700)::

    keys.json      records + public JWKs of all published keys (no secrets)
    <kid>.pem      encrypted PKCS#8 private key, mode 0600
    keys.lock      flock target that serialises writers

Every public read first compares ``os.stat`` of ``keys.json`` with what was
loaded, so a rotation done by the CLI (or another worker) is picked up without
restarting. Decrypted private keys are cached per ``kid``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from joserfc.jwk import KeySet

from ._files import (
    FileIdentity,
    StoredState,
    exclusive_lock,
    file_identity,
    pem_path,
    read_state,
    write_private_file,
    write_state,
)
from ._material import RSA_KEY_SIZES, decrypt_pem, encrypt_pem, generate_key
from .errors import CorruptKeyStore, KeyStoreError, NoActiveKey
from .jwks import SigningJWK, jwk_thumbprint, key_set, public_jwk
from .rotation import (
    COMMAND,
    SUPPORTED_ALGORITHMS,
    KeyRecord,
    KeyState,
    check_generate,
    plan_generate,
    plan_prune,
    plan_rotate,
)

__all__ = ["KeyStore", "PruneResult", "RotationResult", "SigningKey"]

_STATE_ORDER = {KeyState.ACTIVE: 0, KeyState.NEXT: 1, KeyState.RETIRING: 2}
_ALG_ORDER = {alg: index for index, alg in enumerate(SUPPORTED_ALGORITHMS)}


@dataclass(frozen=True)
class SigningKey:
    """The active private key of one algorithm; ``key`` carries kid, alg and use."""

    kid: str
    alg: str
    key: SigningJWK


@dataclass(frozen=True)
class RotationResult:
    """What :meth:`KeyStore.rotate` changed."""

    activated: KeyRecord
    retired: tuple[KeyRecord, ...]
    next: KeyRecord
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PruneResult:
    """What :meth:`KeyStore.prune` removed, and the retiring keys it had to keep."""

    removed: tuple[KeyRecord, ...]
    kept: tuple[KeyRecord, ...] = ()
    warnings: tuple[str, ...] = ()


def _sorted(records: Sequence[KeyRecord]) -> list[KeyRecord]:
    """Active keys first (RS256 before ES256: naive clients take the first JWK), then next, then retiring."""
    return sorted(records, key=lambda r: (_STATE_ORDER[r.state], _ALG_ORDER.get(r.alg, 99), r.created_at, r.kid))


class KeyStore:
    """Signing keys in ``directory``, private parts encrypted with ``passphrase``.

    ``jwks_cache_seconds`` is how long relying parties may cache the JWKS (it is
    also the ``Cache-Control`` max-age); a ``next`` key must be published that
    long before it may sign. ``max_token_lifetime_seconds`` is the longest
    validity of anything signed (ID tokens, JWT access tokens, logout tokens,
    accepted id_token_hints); a retired key stays published that long.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        passphrase: bytes,
        *,
        jwks_cache_seconds: int = 300,
        max_token_lifetime_seconds: int = 3600,
        clock: Callable[[], float] = time.time,
        rsa_key_size: int = 2048,
    ) -> None:
        """Open (lazily) the store; nothing is read or created until first use."""
        if not isinstance(passphrase, bytes) or not passphrase:
            raise KeyStoreError("the key passphrase must be a non-empty bytes value; set it in the environment")
        if jwks_cache_seconds < 0 or max_token_lifetime_seconds <= 0:
            raise KeyStoreError("jwks_cache_seconds must be >= 0 and max_token_lifetime_seconds > 0")
        if rsa_key_size not in RSA_KEY_SIZES:
            raise KeyStoreError(f"rsa_key_size must be one of {RSA_KEY_SIZES}")
        self._directory = Path(directory)
        self._passphrase = passphrase
        self._jwks_cache_seconds = int(jwks_cache_seconds)
        self._max_token_lifetime_seconds = int(max_token_lifetime_seconds)
        self._clock = clock
        self._rsa_key_size = rsa_key_size
        self._lock = threading.RLock()
        self._state: StoredState | None = None
        self._private: dict[str, SigningJWK] = {}
        self._keyset: KeySet | None = None

    def __repr__(self) -> str:
        """Show the directory, never the passphrase."""
        return f"KeyStore({str(self._directory)!r})"

    @property
    def directory(self) -> Path:
        """The key directory."""
        return self._directory

    @property
    def jwks_cache_seconds(self) -> int:
        """How long relying parties may cache the JWKS."""
        return self._jwks_cache_seconds

    @property
    def max_token_lifetime_seconds(self) -> int:
        """How long a retired key stays published before it may be pruned."""
        return self._max_token_lifetime_seconds

    # -- reading ---------------------------------------------------------------

    def _install(self, state: StoredState) -> StoredState:
        self._state = state
        self._keyset = None
        for kid in [kid for kid in self._private if kid not in state.jwks]:
            del self._private[kid]
        return state

    def _current(self) -> StoredState:
        with self._lock:
            if self._state is None or file_identity(self._directory) != self._state.identity:
                return self._install(read_state(self._directory))
            return self._state

    def generation(self) -> FileIdentity | None:
        """A value that changes whenever the keys on disk change (one ``stat``): documents built
        from the keys (the JWKS) may be cached under it."""
        return self._current().identity

    def records(self) -> list[KeyRecord]:
        """All published keys: active ones first, then next, then retiring (RS256 before ES256)."""
        return _sorted(self._current().records)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWK Set document: public keys (kid, alg, use=sig) of next, active and retiring keys."""
        state = self._current()
        return {"keys": [dict(state.jwks[r.kid]) for r in _sorted(state.records)]}

    def verification_keys(self) -> KeySet:
        """The published public keys as a joserfc KeySet (to verify the IdP's own tokens)."""
        with self._lock:
            state = self._current()
            if self._keyset is None:
                self._keyset = key_set(state.jwks[r.kid] for r in _sorted(state.records))
            return self._keyset

    @property
    def is_development(self) -> bool:
        """True if any published key was generated by :meth:`ensure_development_keys`."""
        return any(r.development for r in self._current().records)

    def cache_control(self) -> str:
        """Value of the JWKS response's ``Cache-Control`` header."""
        return f"public, max-age={self._jwks_cache_seconds}"

    def signing_key(self, alg: str = "RS256") -> SigningKey:
        """The active private key for ``alg`` (decrypted once, then cached)."""
        with self._lock:
            state = self._current()
            record = next((r for r in state.records if r.alg == alg and r.state is KeyState.ACTIVE), None)
            if record is None:
                check_generate((), alg)  # raises UnsupportedAlgorithm for unknown algorithms
                raise NoActiveKey(
                    f"there is no active {alg} signing key in {self._directory}; run "
                    f"`{COMMAND} generate --alg {alg}` (the first key of an algorithm is activated at once)"
                )
            key = self._private.get(record.kid)
            if key is None:
                key = self._private[record.kid] = self._decrypt(record)
            return SigningKey(kid=record.kid, alg=record.alg, key=key)

    def _decrypt(self, record: KeyRecord) -> SigningJWK:
        path = pem_path(self._directory, record.kid)
        try:
            pem = path.read_bytes()
        except FileNotFoundError:
            raise CorruptKeyStore(f"the private key file {path} is missing; restore it from backup") from None
        return decrypt_pem(pem, self._passphrase, kid=record.kid, alg=record.alg, source=str(path))

    # -- writing ---------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[StoredState]:
        """Hold the thread lock and the directory's flock; yield the state as on disk now."""
        with self._lock, exclusive_lock(self._directory):
            yield self._install(read_state(self._directory))

    def _commit(self, state: StoredState, records: Sequence[KeyRecord], new_keys: Mapping[str, SigningJWK]) -> None:
        """Write new private keys first, then ``keys.json`` (the switch-over point)."""
        jwks = dict(state.jwks)
        for kid, key in new_keys.items():
            write_private_file(pem_path(self._directory, kid), encrypt_pem(key, self._passphrase))
        alg_of = {r.kid: r.alg for r in records}
        jwks.update({kid: public_jwk(key, kid=kid, alg=alg_of[kid]) for kid, key in new_keys.items()})
        write_state(self._directory, records, jwks)
        self._install(read_state(self._directory))

    def _new_key(self, alg: str) -> tuple[str, SigningJWK]:
        key = generate_key(alg, self._rsa_key_size)
        return jwk_thumbprint(key), key

    def generate(self, alg: str = "RS256", *, development: bool = False) -> KeyRecord:
        """Publish a new key: ``active`` if it is the first of ``alg``, otherwise ``next``."""
        with self._writing() as state:
            check_generate(state.records, alg)
            kid, key = self._new_key(alg)
            plan = plan_generate(state.records, alg, self._clock(), kid, development=development)
            self._commit(state, plan.records, {kid: key})
            return plan.created

    def rotate(self, alg: str = "RS256", *, force: bool = False) -> RotationResult:
        """Activate the ``next`` key, retire the active one, and stage a fresh ``next`` key."""
        with self._writing() as state:
            now = self._clock()
            rotation = plan_rotate(state.records, alg, now, self._jwks_cache_seconds, force)
            kid, key = self._new_key(alg)
            staged = plan_generate(rotation.records, alg, now, kid)
            self._commit(state, staged.records, {kid: key})
            return RotationResult(rotation.activated, rotation.retired, staged.created, rotation.warnings)

    def prune(self, *, force: bool = False) -> PruneResult:
        """Remove retiring keys whose tokens have all expired (``force``: all retiring keys)."""
        with self._writing() as state:
            plan = plan_prune(state.records, self._clock(), self._max_token_lifetime_seconds, force)
            if plan.removed:
                self._commit(state, plan.records, {})
                for record in plan.removed:
                    pem_path(self._directory, record.kid).unlink(missing_ok=True)
            return PruneResult(plan.removed, plan.kept, plan.warnings)

    def ensure_development_keys(self) -> bool:
        """If the store is empty, create active RS256 and ES256 keys marked ``development``.

        Returns whether keys were created. Only call this in development setups.
        """
        if self._current().records:
            return False
        with self._writing() as state:
            if state.records:
                return False
            now, records, new_keys = self._clock(), state.records, {}
            for alg in SUPPORTED_ALGORITHMS:
                kid, key = self._new_key(alg)
                new_keys[kid] = key
                records = plan_generate(records, alg, now, kid, development=True).records
            self._commit(state, records, new_keys)
            return True
