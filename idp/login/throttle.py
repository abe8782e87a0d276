"""Failed-login throttling per account name and per client address, with growing delay.

After ``LOGIN_FREE_ATTEMPTS`` failures of one name (``LOGIN_ADDRESS_FREE_ATTEMPTS`` of one
address: a whole school may sit behind one public address) a key is locked for
``LOGIN_BASE_DELAY`` seconds, doubling with every further failure up to ``LOGIN_MAX_DELAY``.
A key with no failure for ``LOGIN_FORGET_AFTER`` seconds starts again from zero. Keys are built
from what was typed, so a name that matches no account is throttled exactly like one that does.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, has_request_context, request
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import LoginThrottle
from ..models._types import utcnow

SEEN = "idp.throttle_rows"  # the rows wait_seconds() read in this request (WSGI environ)


def keys_for(school_id: int, name: str, address: str | None) -> list[str]:
    return [f"name:{school_id}:{name.strip().casefold()}"[:200], f"addr:{address or '-'}"]


def wait_seconds(keys: list[str]) -> int:
    """Seconds until these keys may try again (0: now)."""
    now = utcnow()
    rows = list(db.session.scalars(db.select(LoginThrottle).where(LoginThrottle.key.in_(keys))))
    if has_request_context():  # record_success() need not ask again
        request.environ[SEEN] = {"keys": list(keys), "rows": {r.key: r for r in rows}}
    waits = [(r.locked_until - now).total_seconds() for r in rows if r.locked_until]
    return max([0, *[int(w) + 1 for w in waits if w > 0]])


def _row(key: str) -> LoginThrottle:
    """The counter row for ``key``, created safely when two first failures race (savepoint)."""
    row = db.session.get(LoginThrottle, key)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = LoginThrottle(key=key, failures=0, last_failure_at=utcnow())
            db.session.add(row)
    except IntegrityError:
        row = db.session.get(LoginThrottle, key, populate_existing=True)
    return row


def record_failure(keys: list[str]) -> None:
    cfg = current_app.config
    now = utcnow()
    forget = dt.timedelta(seconds=cfg["LOGIN_FORGET_AFTER"])
    for key in keys:
        row = _row(key)
        if row.failures and now - row.last_failure_at >= forget:
            row.failures, row.locked_until = 0, None
        row.failures += 1
        row.last_failure_at = now
        free = cfg["LOGIN_ADDRESS_FREE_ATTEMPTS"] if key.startswith("addr:") else cfg["LOGIN_FREE_ATTEMPTS"]
        # the failure that uses up the free attempts starts the first delay
        extra = row.failures - free
        if extra >= 0:
            delay = min(cfg["LOGIN_BASE_DELAY"] * 2 ** min(extra, 20), cfg["LOGIN_MAX_DELAY"])
            row.locked_until = now + dt.timedelta(seconds=delay)
        db.session.add(row)


def record_success(keys: list[str]) -> None:
    # Only the name key is cleared: one good password must not unlock a guessing address.
    seen = request.environ.get(SEEN) if has_request_context() else None
    if seen is not None and seen["keys"] == list(keys):
        row = seen["rows"].get(keys[0])  # what wait_seconds() found in this request
    else:
        row = db.session.get(LoginThrottle, keys[0])
    if row is not None:
        db.session.delete(row)
