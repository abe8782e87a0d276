"""Server-side session stores (the browser cookie holds only a random id).

:class:`MemorySessionStore` is for one process; :class:`SQLiteSessionStore`
lets several processes and threads share sessions through one SQLite file
(stdlib :mod:`sqlite3`, WAL mode, a new connection per operation).
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

__all__ = ["MemorySessionStore", "SQLiteSessionStore", "SessionRecord", "SessionStore", "new_session_id"]


def new_session_id() -> str:
    """Return 256 bits of randomness, base64url encoded."""
    return secrets.token_urlsafe(32)


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


class MemorySessionStore:
    """Thread-safe in-memory :class:`SessionStore` (single process only)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, SessionRecord] = {}
        self._jtis: dict[str, float] = {}

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


_SCHEMA = """
CREATE TABLE IF NOT EXISTS schools_oidc_sessions (
    id_hash TEXT PRIMARY KEY, sub TEXT, sid TEXT, data TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS schools_oidc_sessions_sid ON schools_oidc_sessions (sid);
CREATE INDEX IF NOT EXISTS schools_oidc_sessions_sub ON schools_oidc_sessions (sub);
CREATE TABLE IF NOT EXISTS schools_oidc_jti (jti TEXT PRIMARY KEY, remember_until REAL NOT NULL);
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
