"""Failed-login throttling per account name and per client address, with growing delay.

After ``LOGIN_FREE_ATTEMPTS`` failures a key is locked for ``LOGIN_BASE_DELAY`` seconds, doubling
with every further failure up to ``LOGIN_MAX_DELAY``. Keys are built from what was typed, so a
name that matches no account is throttled exactly like one that does.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app

from ..extensions import db
from ..models import LoginThrottle
from ..models._types import utcnow


def keys_for(school_id: int, name: str, address: str | None) -> list[str]:
    return [f"name:{school_id}:{name.strip().casefold()}"[:200], f"addr:{address or '-'}"]


def wait_seconds(keys: list[str]) -> int:
    """Seconds until these keys may try again (0: now)."""
    now = utcnow()
    rows = db.session.scalars(db.select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    waits = [(r.locked_until - now).total_seconds() for r in rows if r.locked_until]
    return max([0, *[int(w) + 1 for w in waits if w > 0]])


def record_failure(keys: list[str]) -> None:
    cfg = current_app.config
    now = utcnow()
    for key in keys:
        row = db.session.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0)
        row.failures += 1
        row.last_failure_at = now
        # the failure that uses up the free attempts starts the first delay
        extra = row.failures - cfg["LOGIN_FREE_ATTEMPTS"]
        if extra >= 0:
            delay = min(cfg["LOGIN_BASE_DELAY"] * 2 ** min(extra, 20), cfg["LOGIN_MAX_DELAY"])
            row.locked_until = now + dt.timedelta(seconds=delay)
        db.session.add(row)


def record_success(keys: list[str]) -> None:
    # Only the name key is cleared: one good password must not unlock a guessing address.
    row = db.session.get(LoginThrottle, keys[0])
    if row is not None:
        db.session.delete(row)
