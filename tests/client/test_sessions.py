"""Session stores: memory and SQLite behave the same; SQLite is shared between instances."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from schools_client.sessions import MemorySessionStore, SessionStore, SQLiteSessionStore

from .conftest import Clock

Factory = Callable[[Clock], SessionStore]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    if request.param == "memory":
        return lambda clock: MemorySessionStore(clock=clock)
    return lambda clock: SQLiteSessionStore(str(tmp_path / "sessions.db"), clock=clock)


def test_create_get_update_delete(make_store: Factory, clock: Clock) -> None:
    store = make_store(clock)
    rec = store.create({"a": 1}, ttl=100, sub="isik-1", sid="sid-1")
    assert len(rec.session_id) >= 43 and rec.authenticated
    got = store.get(rec.session_id)
    assert got is not None and got.data == {"a": 1} and (got.sub, got.sid) == ("isik-1", "sid-1")
    got.data["b"] = 2
    assert store.get(rec.session_id).data == {"a": 1}, "returned records are copies"  # type: ignore[union-attr]
    store.update(got)
    assert store.get(rec.session_id).data == {"a": 1, "b": 2}  # type: ignore[union-attr]
    assert store.delete(rec.session_id) is True
    assert store.get(rec.session_id) is None
    assert store.delete(rec.session_id) is False


def test_ids_are_unique_and_anonymous_sessions(make_store: Factory, clock: Clock) -> None:
    store = make_store(clock)
    ids = {store.create({}, ttl=10).session_id for _ in range(50)}
    assert len(ids) == 50
    assert not store.get(next(iter(ids))).authenticated  # type: ignore[union-attr]


def test_expiry(make_store: Factory, clock: Clock) -> None:
    store = make_store(clock)
    rec = store.create({}, ttl=100)
    clock.advance(99)
    assert store.get(rec.session_id) is not None
    clock.advance(1)
    assert store.get(rec.session_id) is None


def test_delete_by_sid_and_sub(make_store: Factory, clock: Clock) -> None:
    store = make_store(clock)
    a1 = store.create({}, ttl=100, sub="A", sid="a1")
    a2 = store.create({}, ttl=100, sub="A", sid="a2")
    b1 = store.create({}, ttl=100, sub="B", sid="b1")
    anon = store.create({}, ttl=100)
    assert store.delete_by_sid("a1", sub="B") == 0, "sid and sub must both match when sub is given"
    assert store.delete_by_sid("a1") == 1
    assert store.get(a1.session_id) is None and store.get(a2.session_id) is not None
    assert store.delete_by_sid("unknown") == 0
    assert store.delete_by_sub("A") == 1
    assert store.get(a2.session_id) is None
    assert store.get(b1.session_id) is not None and store.get(anon.session_id) is not None


def test_jti_replay_cache(make_store: Factory, clock: Clock) -> None:
    store = make_store(clock)
    until = int(clock.now) + 100
    assert store.jti_seen("j1", until) is False
    assert store.jti_seen("j1", until) is True
    assert store.jti_seen("j2", until) is False
    clock.advance(101)
    assert store.jti_seen("j1", until + 200) is False, "forgotten after remember_until"


def test_jti_seen_is_atomic_across_threads(make_store: Factory, clock: Clock) -> None:
    store = make_store(clock)
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        seen = store.jti_seen("same-jti", int(clock.now) + 100)
        with lock:
            results.append(seen)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(False) == 1 and results.count(True) == 15


def test_sqlite_shared_between_instances_and_hashes_ids(tmp_path: Path, clock: Clock) -> None:
    path = str(tmp_path / "shared.db")
    one, two = SQLiteSessionStore(path, clock=clock), SQLiteSessionStore(path, clock=clock)
    rec = one.create({"x": "y"}, ttl=100, sub="A", sid="s")
    assert two.get(rec.session_id) is not None
    assert two.delete_by_sid("s") == 1
    assert one.get(rec.session_id) is None
    rec = one.create({}, ttl=100)
    with sqlite3.connect(path) as db:
        stored = [row[0] for row in db.execute("SELECT id_hash FROM schools_oidc_sessions")]
    db.close()
    assert rec.session_id not in stored, "raw session ids must not be stored"
    assert one.jti_seen("j", int(clock.now) + 10) is False and two.jti_seen("j", int(clock.now) + 10) is True
