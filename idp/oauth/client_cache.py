"""Schools' client records, cached per process and invalidated on every node at once.

The authorization, token and logout endpoints need a school's client record (client id, secret
digest, redirect URIs, logout URIs, enabled) on every request; it changes a few times a year.
Each process keeps an immutable snapshot (:class:`SchoolClient`) per school, valid for one
**generation** of the schools table. The generation lives where every node sees it at once:

* in Redis (``REDIS_URL``), key ``<REDIS_KEY_PREFIX>schools:generation``, incremented;
* without Redis, in the file ``school-generation`` of the instance folder, replaced by a new
  random value (enough for the processes of one machine).

Every request reads the generation once (one Redis GET, or one small file read); when it has
moved, the snapshots are dropped. Every committed change to a school bumps it: a SQLAlchemy
listener notices School rows in a flush (ORM changes from the CLI, the admin pages, services)
and bulk UPDATE/DELETE statements on the table, and bumps after the commit, so no node can
cache the old row under the new generation. A secret rotation or a disabled school is refused
on every node from the next request on. When the generation cannot be read (Redis down), the
record is read from the database on every request: never a stale answer.

The snapshot holds the SHA-256 digest of the client secret, never the secret; the check
stays ``hmac.compare_digest`` (``SchoolClientMixin.check_client_secret``).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

from flask import Flask, current_app, has_app_context, has_request_context, request
from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from ..extensions import db
from ..models import School
from ..models.school import SchoolClientMixin

log = logging.getLogger(__name__)
GENERATION_FILE = "school-generation"
MEMO = "idp.school_generation"  # the generation read for this request (WSGI environ)


@dataclass(frozen=True)
class SchoolClient(SchoolClientMixin):
    """What the protocol endpoints need of a school, as it was when read."""

    id: int
    slug: str
    name: str
    kind: str
    logo_uri: str | None
    client_id: str
    client_secret_digest: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    backchannel_logout_uri: str | None
    frontchannel_logout_uri: str | None
    initiate_login_uri: str | None
    events_uri: str | None
    enabled: bool

    @classmethod
    def of(cls, school: School) -> SchoolClient:
        values = {f.name: getattr(school, f.name) for f in fields(cls)}
        values["redirect_uris"] = tuple(school.redirect_uris or ())
        values["post_logout_redirect_uris"] = tuple(school.post_logout_redirect_uris or ())
        return cls(**values)


class Generation(Protocol):
    def current(self) -> str | None:
        """The generation every node sees now, or None when it cannot be read."""

    def bump(self) -> None:
        """Start a new generation (after a change to a school was committed)."""


class FileGeneration:
    """A random value in a file of the instance folder, replaced atomically on every bump."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def current(self) -> str | None:
        try:
            return self.path.read_text() or "0"
        except FileNotFoundError:
            return "0"
        except OSError:
            return None

    def bump(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}")
        tmp.write_text(secrets.token_hex(16))
        os.replace(tmp, self.path)


class RedisGeneration:
    """A counter in Redis, shared by every node (INCR is atomic)."""

    def __init__(self, url: str, key: str) -> None:
        import redis

        self.key = key
        self.redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)

    def current(self) -> str | None:
        try:
            value = self.redis.get(self.key)
        except self.errors as error:
            log.warning("school generation unreadable (%s): reading schools from the database", error)
            return None
        return value.decode() if value is not None else "0"

    def bump(self) -> None:
        self.redis.incr(self.key)


class ClientCache:
    """Snapshots by client id and by school id, valid for one generation."""

    def __init__(self, generation: Generation) -> None:
        self.generation = generation
        self._lock = threading.Lock()
        self._seen: str | None = None
        self._by_client_id: dict[str, SchoolClient] = {}
        self._by_id: dict[int, SchoolClient] = {}

    def _valid_generation(self) -> str | None:
        """The generation for this request (read once per request), dropping stale snapshots."""
        memo = request.environ if has_request_context() else {}
        if MEMO in memo:
            return memo[MEMO]
        current = self.generation.current()
        with self._lock:
            if current is None or current != self._seen:
                self._by_client_id, self._by_id = {}, {}
                self._seen = current
        memo[MEMO] = current
        return current

    def _load(self, condition) -> SchoolClient | None:
        # read with its own statement: the snapshot must not share state with the session
        row = db.session.execute(select(School).where(condition)).scalar_one_or_none()
        return SchoolClient.of(row) if row is not None else None

    def _remember(self, generation: str | None, client: SchoolClient | None) -> SchoolClient | None:
        if client is not None and generation is not None:
            with self._lock:
                if self._seen == generation:
                    self._by_client_id[client.client_id] = client
                    self._by_id[client.id] = client
        return client

    def by_client_id(self, client_id: str) -> SchoolClient | None:
        generation = self._valid_generation()
        cached = self._by_client_id.get(client_id)
        if cached is not None:
            return cached
        return self._remember(generation, self._load(School.client_id == client_id))

    def by_id(self, school_id: int) -> SchoolClient | None:
        generation = self._valid_generation()
        cached = self._by_id.get(school_id)
        if cached is not None:
            return cached
        return self._remember(generation, self._load(School.id == school_id))

    def invalidate(self) -> None:
        """A school changed (committed): a new generation for every node, and for this one."""
        with self._lock:
            self._by_client_id, self._by_id = {}, {}
            self._seen = None
        if has_request_context():
            request.environ.pop(MEMO, None)
        self.generation.bump()


def cache() -> ClientCache:
    return current_app.extensions["school_clients"]


def school_client(client_id: str) -> SchoolClient | None:
    """The school whose client id this is (enabled or not), or None."""
    return cache().by_client_id(client_id)


def school_by_id(school_id: int) -> SchoolClient | None:
    return cache().by_id(school_id)


def init_client_cache(app: Flask) -> None:
    if app.config["REDIS_URL"]:
        key = f"{app.config['REDIS_KEY_PREFIX']}schools:generation"
        source: Generation = RedisGeneration(app.config["REDIS_URL"], key)
    else:
        source = FileGeneration(Path(app.instance_path) / GENERATION_FILE)
    app.extensions["school_clients"] = ClientCache(source)
    _install_listeners()


# --- noticing changes -------------------------------------------------------------------------

CHANGED = "schools_changed"


def _flushed(session: Session, flush_context) -> None:
    if any(isinstance(obj, School) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[CHANGED] = True


def _executed(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(m.class_ is School for m in state.all_mappers):
        state.session.info[CHANGED] = True


def _committed(session: Session) -> None:
    if session.info.pop(CHANGED, False) and has_app_context():
        extension = current_app.extensions.get("school_clients")
        if extension is not None:
            extension.invalidate()


def _rolled_back(session: Session) -> None:
    session.info.pop(CHANGED, None)


def _install_listeners() -> None:
    if event.contains(Session, "after_flush", _flushed):
        return
    event.listen(Session, "after_flush", _flushed)
    event.listen(Session, "do_orm_execute", _executed)
    event.listen(Session, "after_commit", _committed)
    event.listen(Session, "after_rollback", _rolled_back)
