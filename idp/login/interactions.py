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


def save(school_id: int, *, params: dict | None = None, return_to: str | None = None,
         link: dict | None = None) -> str:
    """A new pending login; ``link`` ({"flow", "step"}) makes it a proof inside a linking flow
    ("Seo oma konto teise kooliga") instead of a login."""
    pending = {k: v for k, v in session.get("interactions", {}).items()
               if v["created"] > time.time() - LIFETIME}
    iid = secrets.token_urlsafe(12)
    pending[iid] = {"school_id": school_id, "params": params, "return_to": return_to,
                    "created": time.time()}
    if link is not None:
        pending[iid]["link"] = link
    while len(pending) > MAX_PENDING:
        pending.pop(min(pending, key=lambda k: pending[k]["created"]))
    session["interactions"] = pending
    return iid


def for_link(school_id: int, flow_id: str, step: str) -> str:
    """The pending eID proof of this linking flow's step (made once, then reused)."""
    link = {"flow": flow_id, "step": step}
    for iid, item in session.get("interactions", {}).items():
        if item.get("link") == link and item["school_id"] == school_id and get(iid) is not None:
            return iid
    return save(school_id, link=link)


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
