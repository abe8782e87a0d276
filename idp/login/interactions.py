"""Pending logins ("interactions"): an authorization request waiting for the person to log in.

Kept in the signed UI cookie (Flask session) of this browser only, a few at most, each with
its own random id, so a link to a login page cannot be replayed in another browser.
"""

from __future__ import annotations

import secrets
import time

from flask import session

MAX_PENDING = 3
LIFETIME = 30 * 60


def save(school_id: int, *, params: dict | None = None, return_to: str | None = None) -> str:
    pending = {k: v for k, v in session.get("interactions", {}).items()
               if v["created"] > time.time() - LIFETIME}
    iid = secrets.token_urlsafe(12)
    pending[iid] = {"school_id": school_id, "params": params, "return_to": return_to,
                    "created": time.time()}
    while len(pending) > MAX_PENDING:
        pending.pop(min(pending, key=lambda k: pending[k]["created"]))
    session["interactions"] = pending
    return iid


def get(iid: str | None) -> dict | None:
    if not iid:
        return None
    item = session.get("interactions", {}).get(iid)
    if item is None or item["created"] <= time.time() - LIFETIME:
        return None
    return item


def pop(iid: str | None) -> dict | None:
    item = get(iid)
    if item is not None:
        pending = dict(session["interactions"])
        pending.pop(iid, None)
        session["interactions"] = pending
    return item
