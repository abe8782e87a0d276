"""Server-side session stores (the browser cookie holds only a random id).

:class:`MemorySessionStore` is for one process; :class:`SQLiteSessionStore`
lets several processes and threads share sessions through one SQLite file
(stdlib :mod:`sqlite3`, WAL mode, a new connection per operation).

Both also keep, per ``sub``, the last applied version of the profile pushed
by the IdP (profile-sync Security Event Tokens, see :meth:`SessionStore.apply_profile`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .models import _PROTOCOL_CLAIMS
from .tokens import EVENT_STATUSES

__all__ = [
    "APPLIED",
    "STALE",
    "MemorySessionStore",
    "SQLiteSessionStore",
    "SessionRecord",
    "SessionStore",
    "merge_profile",
    "new_session_id",
]

#: :meth:`SessionStore.apply_profile` outcome: the version was newer and has been applied.
APPLIED = "applied"
#: :meth:`SessionStore.apply_profile` outcome: the version was not newer than the last applied; nothing changed.
STALE = "stale"


def new_session_id() -> str:
    """Return 256 bits of randomness, base64url encoded."""
    return secrets.token_urlsafe(32)


def merge_profile(profile: Any, claims: Mapping[str, Any], *, sub: str) -> dict[str, Any]:
    """Return the session profile ``profile`` updated with pushed ``claims``.

    Claims present in ``claims`` replace the stored ones; a ``null`` value
    removes the claim (as if the IdP had not sent it at login, OIDC Core
    §5.3.2); claims not mentioned are kept. Protocol claims (``sub``, ``sid``,
    ``iss``, ``aud``, ``auth_time``, ...) are never taken from ``claims``.
    """
    merged: dict[str, Any] = dict(profile) if isinstance(profile, dict) else {"sub": sub}
    for name, value in claims.items():
        if name in _PROTOCOL_CLAIMS:
            continue
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return json.loads(json.dumps(merged))  # type: ignore[no-any-return]


def _check_profile_args(version: int, status: str) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError("version must be an integer >= 1")
    if status not in EVENT_STATUSES:
        raise ValueError(f"status must be one of {EVENT_STATUSES}")


def _apply_to_data(data: dict[str, Any], sub: str, version: int, claims: Mapping[str, Any]) -> None:
    data["claims"] = merge_profile(data.get("claims"), claims, sub=sub)
    data["profile_version"] = version


@dataclass
class SessionRecord:
    """One server-side session. ``sub is None`` means "not logged in yet"."""

    session_id: str = field(repr=False)
    data: dict[str, Any]
    created_at: float
    expires_at: float
    sub: str | None = None
    sid: str | None = None

    @property
    def authenticated(self) -> bool:
        """True once a login completed in this session."""
        return self.sub is not None


class SessionStore(Protocol):
    """What :class:`schools_client.web.SchoolsOIDC` needs from a session store.

    Implementations must be safe to use from several threads.
    """

    def create(self, data: Mapping[str, Any], *, ttl: float, sub: str | None = None,
               sid: str | None = None) -> SessionRecord:
        """Create and return a session with a new random id (never reuse ids: no fixation)."""
        ...

    def get(self, session_id: str) -> SessionRecord | None:
        """Return the live session, or ``None`` if unknown or expired."""
        ...

    def update(self, record: SessionRecord) -> None:
        """Persist ``record.data`` (no-op if the session was deleted meanwhile)."""
        ...

    def delete(self, session_id: str) -> bool:
        """Delete one session; True if it existed."""
        ...

    def delete_by_sid(self, sid: str, sub: str | None = None) -> int:
        """Delete sessions with IdP session id ``sid`` (and, if given, subject ``sub``); return count."""
        ...

    def delete_by_sub(self, sub: str) -> int:
        """Delete every session of subject ``sub``; return count."""
        ...

    def jti_seen(self, jti: str, remember_until: int) -> bool:
        """Record ``jti`` until ``remember_until``; True if it was already recorded (replay)."""
        ...

    def forget_jti(self, jti: str) -> None:
        """Remove ``jti`` from the replay cache (its processing failed and will be retried)."""
        ...

    def profile_version(self, sub: str) -> int | None:
        """The last applied profile version of ``sub``, or ``None`` if none was applied."""
        ...

    def apply_profile(self, sub: str, version: int, claims: Mapping[str, Any], status: str) -> str:
        """Apply a profile pushed by the IdP, atomically; return :data:`APPLIED` or :data:`STALE`.

        If ``version`` is not greater than the last applied version of ``sub``,
        nothing changes and :data:`STALE` is returned. Otherwise ``version`` is
        recorded (persistently, for stores that persist) and, with ``status``
        ``"active"``, the profile (``data["claims"]``, see :func:`merge_profile`)
        of every live session of ``sub`` is updated; with ``"disabled"`` those
        sessions are deleted.

        :raises ValueError: for a ``version`` < 1 or an unknown ``status``.
        """
        ...


class MemorySessionStore:
    """Thread-safe in-memory :class:`SessionStore` (single process only)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, SessionRecord] = {}
        self._jtis: dict[str, float] = {}
        self._profile_versions: dict[str, int] = {}

    def _purge(self, now: float) -> None:
        for key in [k for k, r in self._sessions.items() if r.expires_at <= now]:
            del self._sessions[key]
        for key in [k for k, until in self._jtis.items() if until < now]:
            del self._jtis[key]

    def create(self, data: Mapping[str, Any], *, ttl: float, sub: str | None = None,
               sid: str | None = None) -> SessionRecord:
        now = self._clock()
        record = SessionRecord(new_session_id(), json.loads(json.dumps(dict(data))), now, now + ttl, sub, sid)
        with self._lock:
            self._purge(now)
            self._sessions[record.session_id] = record
        return replace(record, data=json.loads(json.dumps(record.data)))

    def get(self, session_id: str) -> SessionRecord | None:
        with self._lock:
            record = self._sessions.get(session_id)
            if record is None or record.expires_at <= self._clock():
                return None
            return replace(record, data=json.loads(json.dumps(record.data)))

    def update(self, record: SessionRecord) -> None:
        with self._lock:
            stored = self._sessions.get(record.session_id)
            if stored is not None:
                stored.data = json.loads(json.dumps(record.data))

    def delete(self, session_id: str) -> bool:
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def delete_by_sid(self, sid: str, sub: str | None = None) -> int:
        with self._lock:
            keys = [k for k, r in self._sessions.items() if r.sid == sid and (sub is None or r.sub == sub)]
            for key in keys:
                del self._sessions[key]
            return len(keys)

    def delete_by_sub(self, sub: str) -> int:
        with self._lock:
            keys = [k for k, r in self._sessions.items() if r.sub == sub]
            for key in keys:
                del self._sessions[key]
            return len(keys)

    def jti_seen(self, jti: str, remember_until: int) -> bool:
        with self._lock:
            now = self._clock()
            until = self._jtis.get(jti)
            if until is not None and until >= now:
                return True
            self._jtis[jti] = float(remember_until)
            return False

    def forget_jti(self, jti: str) -> None:
        with self._lock:
            self._jtis.pop(jti, None)

    def profile_version(self, sub: str) -> int | None:
        with self._lock:
            return self._profile_versions.get(sub)

    def apply_profile(self, sub: str, version: int, claims: Mapping[str, Any], status: str) -> str:
        _check_profile_args(version, status)
        claims = json.loads(json.dumps(dict(claims)))
        with self._lock:
            now = self._clock()
            last = self._profile_versions.get(sub)
            if last is not None and version <= last:
                return STALE
            self._profile_versions[sub] = version
            if status == "disabled":
                for key in [k for k, r in self._sessions.items() if r.sub == sub]:
                    del self._sessions[key]
            else:
                for record in self._sessions.values():
                    if record.sub == sub and record.expires_at > now:
                        _apply_to_data(record.data, sub, version, claims)
            return APPLIED


_SCHEMA = """
CREATE TABLE IF NOT EXISTS schools_oidc_sessions (
    id_hash TEXT PRIMARY KEY, sub TEXT, sid TEXT, data TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS schools_oidc_sessions_sid ON schools_oidc_sessions (sid);
CREATE INDEX IF NOT EXISTS schools_oidc_sessions_sub ON schools_oidc_sessions (sub);
CREATE TABLE IF NOT EXISTS schools_oidc_jti (jti TEXT PRIMARY KEY, remember_until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS schools_oidc_profile_versions (
    sub TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL, applied_at REAL NOT NULL);
"""


class SQLiteSessionStore:
    """:class:`SessionStore` in an SQLite file, shareable between processes and threads.

    Session ids are stored only as SHA-256 hashes, so a copy of the database
    does not reveal usable cookies.
    """

    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @staticmethod
    def _hash(session_id: str) -> str:
        return hashlib.sha256(session_id.encode()).hexdigest()

    def create(self, data: Mapping[str, Any], *, ttl: float, sub: str | None = None,
               sid: str | None = None) -> SessionRecord:
        now = self._clock()
        record = SessionRecord(new_session_id(), json.loads(json.dumps(dict(data))), now, now + ttl, sub, sid)
        with self._connect() as db:
            db.execute("DELETE FROM schools_oidc_sessions WHERE expires_at <= ?", (now,))
            db.execute(
                "INSERT INTO schools_oidc_sessions VALUES (?, ?, ?, ?, ?, ?)",
                (self._hash(record.session_id), sub, sid, json.dumps(record.data), now, record.expires_at),
            )
        return record

    def get(self, session_id: str) -> SessionRecord | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT sub, sid, data, created_at, expires_at FROM schools_oidc_sessions"
                " WHERE id_hash = ? AND expires_at > ?", (self._hash(session_id), self._clock()),
            ).fetchone()
        if row is None:
            return None
        return SessionRecord(session_id, json.loads(row[2]), row[3], row[4], row[0], row[1])

    def update(self, record: SessionRecord) -> None:
        with self._connect() as db:
            db.execute("UPDATE schools_oidc_sessions SET data = ? WHERE id_hash = ?",
                       (json.dumps(record.data), self._hash(record.session_id)))

    def delete(self, session_id: str) -> bool:
        with self._connect() as db:
            cur = db.execute("DELETE FROM schools_oidc_sessions WHERE id_hash = ?", (self._hash(session_id),))
            return cur.rowcount > 0

    def delete_by_sid(self, sid: str, sub: str | None = None) -> int:
        with self._connect() as db:
            if sub is None:
                cur = db.execute("DELETE FROM schools_oidc_sessions WHERE sid = ?", (sid,))
            else:
                cur = db.execute("DELETE FROM schools_oidc_sessions WHERE sid = ? AND sub = ?", (sid, sub))
            return cur.rowcount

    def delete_by_sub(self, sub: str) -> int:
        with self._connect() as db:
            return db.execute("DELETE FROM schools_oidc_sessions WHERE sub = ?", (sub,)).rowcount

    def jti_seen(self, jti: str, remember_until: int) -> bool:
        now = self._clock()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM schools_oidc_jti WHERE remember_until < ?", (now,))
                cur = db.execute("INSERT OR IGNORE INTO schools_oidc_jti VALUES (?, ?)", (jti, remember_until))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return cur.rowcount == 0

    def forget_jti(self, jti: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM schools_oidc_jti WHERE jti = ?", (jti,))

    def profile_version(self, sub: str) -> int | None:
        with self._connect() as db:
            row = db.execute("SELECT version FROM schools_oidc_profile_versions WHERE sub = ?", (sub,)).fetchone()
        return None if row is None else int(row[0])

    def apply_profile(self, sub: str, version: int, claims: Mapping[str, Any], status: str) -> str:
        _check_profile_args(version, status)
        claims = json.loads(json.dumps(dict(claims)))
        now = self._clock()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")  # one writer at a time: version check and update are atomic
            try:
                row = db.execute("SELECT version FROM schools_oidc_profile_versions WHERE sub = ?",
                                 (sub,)).fetchone()
                if row is not None and version <= int(row[0]):
                    db.execute("COMMIT")
                    return STALE
                db.execute("INSERT OR REPLACE INTO schools_oidc_profile_versions VALUES (?, ?, ?, ?)",
                           (sub, version, status, now))
                if status == "disabled":
                    db.execute("DELETE FROM schools_oidc_sessions WHERE sub = ?", (sub,))
                else:
                    rows = db.execute("SELECT id_hash, data FROM schools_oidc_sessions"
                                      " WHERE sub = ? AND expires_at > ?", (sub, now)).fetchall()
                    for id_hash, raw in rows:
                        data = json.loads(raw)
                        _apply_to_data(data, sub, version, claims)
                        db.execute("UPDATE schools_oidc_sessions SET data = ? WHERE id_hash = ?",
                                   (json.dumps(data), id_hash))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return APPLIED
