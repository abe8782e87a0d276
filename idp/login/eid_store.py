"""Server-side state of eID logins, bound to this browser.

Every browser gets a random ``binding`` in its signed UI cookie. The Web eID challenge nonce and
the Smart-ID session (with its secret) are kept in the database under that binding, never in
the cookie; each is taken once. Expired rows are swept whenever new ones are written.
"""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app, session
from sqlalchemy import delete

from ..eid import EidIdentity
from ..eid.smartid import AuthSession
from ..extensions import db
from ..models import EidVerifiedIdentity, SmartIdPending, WebEidChallenge
from ..models._types import utcnow

PENDING_LIFETIME = dt.timedelta(minutes=5)
SESSION_KEY = "eid_binding"


def binding(*, create: bool = True) -> str | None:
    """This browser's random binding (kept in the UI cookie); created on first use."""
    value = session.get(SESSION_KEY)
    if value is None and create:
        value = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return value


class DbNonceStore:
    """``idp.eid.webeid.NonceStore`` in the ``webeid_challenge`` table (several workers and nodes
    share it). ``take`` is atomic: of two concurrent submissions only one deletes the row."""

    def put(self, binding: str, nonce: str, expires_at: dt.datetime) -> None:
        db.session.execute(delete(WebEidChallenge).where(
            (WebEidChallenge.binding == binding) | (WebEidChallenge.expires_at < utcnow())))
        db.session.add(WebEidChallenge(binding=binding, nonce=nonce, expires_at=expires_at))
        db.session.commit()

    def take(self, binding: str) -> tuple[str, dt.datetime] | None:
        row = db.session.get(WebEidChallenge, binding, populate_existing=True)
        if row is None:
            return None
        nonce, expires_at = row.nonce, row.expires_at
        taken = db.session.execute(delete(WebEidChallenge).where(
            WebEidChallenge.binding == binding, WebEidChallenge.nonce == nonce)).rowcount
        db.session.commit()
        return (nonce, expires_at) if taken == 1 else None


# --- Smart-ID sessions waiting for the person ------------------------------------------------

def save_pending(auth: AuthSession, *, school_id: int, iid: str,
                 callback_value: str | None) -> SmartIdPending:
    """Keep a started Smart-ID session for this browser (replacing its earlier one)."""
    mine = binding()
    now = utcnow()
    db.session.execute(delete(SmartIdPending).where(
        (SmartIdPending.binding == mine) | (SmartIdPending.expires_at < now)))
    row = SmartIdPending(id=secrets.token_urlsafe(24), binding=mine, school_id=school_id, iid=iid,
                         data=auth.to_dict(), callback_value=callback_value, created_at=now,
                         expires_at=now + PENDING_LIFETIME)
    db.session.add(row)
    db.session.commit()
    return row


def pending(iid: str | None = None) -> SmartIdPending | None:
    """This browser's waiting Smart-ID session (for the login ``iid``, when given)."""
    mine = binding(create=False)
    if mine is None:
        return None
    row = db.session.scalar(db.select(SmartIdPending).where(
        SmartIdPending.binding == mine, SmartIdPending.expires_at > utcnow())
        .execution_options(populate_existing=True))
    if row is None or (iid is not None and row.iid != iid):
        return None
    return row


def update_pending(row: SmartIdPending, auth: AuthSession) -> None:
    row.data = auth.to_dict()
    db.session.commit()


def take_pending(row: SmartIdPending) -> bool:
    """Remove the row; True for the one request that did (a Web2App return and the polling
    tab may finish at the same moment)."""
    taken = db.session.execute(delete(SmartIdPending).where(SmartIdPending.id == row.id)).rowcount
    db.session.commit()
    return taken == 1


# --- identities proven at a school that has no account for them ------------------------------

IDENTITY_KEY = "eid_verified_identity"


def remember_identity(identity: EidIdentity, school_id: int) -> EidVerifiedIdentity:
    """Keep who the eID login proved, for the account-request form of ``school_id``; its token
    goes into this browser's UI cookie (``session["eid_verified_identity"]``)."""
    now = utcnow()
    db.session.execute(delete(EidVerifiedIdentity).where(EidVerifiedIdentity.expires_at < now))
    row = EidVerifiedIdentity(
        token=secrets.token_urlsafe(24), school_id=school_id, isikukood=identity.isikukood,
        given_name=identity.given_name[:200], family_name=identity.family_name[:200],
        method=identity.method, verified_at=now,
        expires_at=now + dt.timedelta(seconds=current_app.config["EID_IDENTITY_LIFETIME"]))
    db.session.add(row)
    session[IDENTITY_KEY] = row.token
    return row


def verified_identity(school_id: int, token: str | None = None) -> EidVerifiedIdentity | None:
    """The eID-verified identity for the account-request form of ``school_id``: the one named by
    ``token`` (the ``eid`` query parameter of the link), else this browser's. None when absent,
    expired, or proven at another school. The form should show these values as fixed and
    record the request as eID-verified."""
    token = token or session.get(IDENTITY_KEY)
    if not token:
        return None
    row = db.session.scalar(db.select(EidVerifiedIdentity).where(
        EidVerifiedIdentity.token == token, EidVerifiedIdentity.school_id == school_id,
        EidVerifiedIdentity.expires_at > utcnow()))
    if row is None or session.get(IDENTITY_KEY) != token:
        return None  # a link copied into another browser proves nothing there
    return row

