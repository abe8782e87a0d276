"""Challenge nonces for Web eID (web-eid-system-architecture-doc, "Authentication" and
"Challenge nonce"; authtoken-validation ``ChallengeNonceGenerator`` / ``ChallengeNonceStore``).

The nonce MUST be at least 256 bits from a CSPRNG (we use 32 bytes, Base64: 44 characters),
kept on the server bound to the browser session, valid for a limited time (5 min) and usable
once: ``take`` removes it whether or not the token then validates.

The store is keyed by an opaque ``binding`` string the caller derives from its server-side
session (e.g. a random value kept in the login session). A DB-backed store needs one table::

    webeid_challenge(binding TEXT PRIMARY KEY, nonce TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)

``put`` = upsert (a new challenge replaces the old one); ``take`` =
``DELETE FROM webeid_challenge WHERE binding = :b RETURNING nonce, expires_at`` (atomic, so two
concurrent submissions cannot both use it); a periodic ``DELETE ... WHERE expires_at < now()``.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import threading
from collections.abc import Callable
from typing import Protocol

from .errors import WebEidError

NONCE_BYTES = 32
NONCE_TTL = dt.timedelta(minutes=5)


class NonceStore(Protocol):
    """Where issued challenge nonces wait for their token (one per binding)."""

    def put(self, binding: str, nonce: str, expires_at: dt.datetime) -> None:
        """Remember ``nonce`` for ``binding``, replacing any earlier one."""

    def take(self, binding: str) -> tuple[str, dt.datetime] | None:
        """Remove and return ``(nonce, expires_at)`` for ``binding``, atomically; None if none."""


class InMemoryNonceStore:
    """A ``NonceStore`` in process memory: for tests and a single-process development server
    only (several workers or nodes need the DB-backed store described above)."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._items: dict[str, tuple[str, dt.datetime]] = {}
        self._lock = threading.Lock()

    def put(self, binding: str, nonce: str, expires_at: dt.datetime) -> None:
        with self._lock:
            now = self._clock()  # forget expired challenges so memory stays bounded
            self._items = {k: v for k, v in self._items.items() if v[1] > now}
            self._items[binding] = (nonce, expires_at)

    def take(self, binding: str) -> tuple[str, dt.datetime] | None:
        with self._lock:
            return self._items.pop(binding, None)


def issue_challenge(store: NonceStore, binding: str, *, now: dt.datetime,
                    ttl: dt.timedelta = NONCE_TTL) -> str:
    """A fresh challenge nonce (Base64 of 32 random bytes) stored for ``binding``; send it to
    the browser as ``{"nonce": ...}`` for ``webeid.authenticate(nonce)``."""
    if not binding:
        raise ValueError("a challenge must be bound to a session")
    nonce = base64.b64encode(secrets.token_bytes(NONCE_BYTES)).decode("ascii")
    store.put(binding, nonce, now + ttl)
    return nonce


def take_challenge(store: NonceStore, binding: str, *, now: dt.datetime) -> str:
    """The nonce issued for ``binding``, removed from the store (single use). Raises
    ``WebEidError("nonce_invalid")`` if none is waiting (never issued, or already used) and
    ``WebEidError("nonce_expired")`` if its time is over."""
    item = store.take(binding) if binding else None
    if item is None:
        raise WebEidError("nonce_invalid", detail="no challenge waiting for this session")
    nonce, expires_at = item
    if now >= expires_at:
        raise WebEidError("nonce_expired", detail=f"challenge expired at {expires_at}")
    return nonce
