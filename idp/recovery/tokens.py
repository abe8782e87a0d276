"""One-time links: issue, look up, use.

The link carries 32 random bytes; the table keeps their SHA-256 digest only. Whether a link
still works is decided from the database alone, so it works in any browser on any device.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, update

from ..extensions import db
from ..models import Account, RecoveryToken
from ..models._types import utcnow


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_value() -> tuple[str, str]:
    """A fresh random token and its digest."""
    value = secrets.token_urlsafe(32)
    return value, digest(value)


def issue(account: Account, *, email: str, lifetime: int, purpose: str = "recovery",
          interaction: str | None = None, requested_from: str | None = None,
          revoke: bool = True) -> tuple[RecoveryToken, str]:
    """A new link for ``account``; every older live link of the account dies (caller commits;
    ``revoke=False`` when the caller has revoked them already)."""
    now = utcnow()
    if revoke:
        revoke_for_accounts([account.id], now=now)
    value, value_digest = new_value()
    row = RecoveryToken(digest=value_digest, account_id=account.id, purpose=purpose, email=email,
                        interaction=interaction, requested_from=requested_from, created_at=now,
                        expires_at=now + dt.timedelta(seconds=lifetime))
    db.session.add(row)
    return row, value


def revoke_for_accounts(account_ids: list[int], *, now: dt.datetime | None = None) -> None:
    """End the live links of these accounts (one statement, also for an empty list)."""
    db.session.execute(
        update(RecoveryToken)
        .where(RecoveryToken.account_id.in_(account_ids), RecoveryToken.used_at.is_(None),
               RecoveryToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow()))


def recent_counts(account_ids: list[int], since: dt.datetime) -> dict[int, int]:
    """Links made for each account since ``since`` (one query, also for an empty list)."""
    rows = db.session.execute(
        db.select(RecoveryToken.account_id, func.count(RecoveryToken.id))
        .where(RecoveryToken.account_id.in_(account_ids), RecoveryToken.created_at >= since,
               RecoveryToken.purpose == "recovery")
        .group_by(RecoveryToken.account_id))
    return {account_id: count for account_id, count in rows}


@dataclass
class Found:
    token: RecoveryToken | None
    #: ``ok``, or why the link does not work: ``unknown``, ``used``, ``replaced``,
    #: ``expired``, ``password_changed``, ``address_changed``, ``account_closed``
    state: str

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def find(value: str) -> Found:
    if not value or len(value) > 100:
        return Found(None, "unknown")
    token = db.session.scalar(db.select(RecoveryToken).where(RecoveryToken.digest == digest(value)))
    if token is None:
        return Found(None, "unknown")
    return Found(token, state_of(token))


def state_of(token: RecoveryToken) -> str:
    account = token.account
    person = account.person
    if token.used_at is not None:
        return "used"
    if token.revoked_at is not None:
        # a password change also revokes; tell the two apart for the person
        if person.password_changed_at is not None and person.password_changed_at > token.created_at:
            return "password_changed"
        return "replaced"
    if utcnow() >= token.expires_at:
        return "expired"
    if person.password_changed_at is not None and person.password_changed_at > token.created_at:
        return "password_changed"
    if not account.active:
        return "account_closed"
    if (person.email or "").strip().casefold() != token.email.strip().casefold():
        return "address_changed"
    return "ok"


def use(token: RecoveryToken) -> bool:
    """Mark the link used; False when another request used (or revoked) it first."""
    result = db.session.execute(
        update(RecoveryToken)
        .where(RecoveryToken.id == token.id, RecoveryToken.used_at.is_(None),
               RecoveryToken.revoked_at.is_(None))
        .values(used_at=utcnow()))
    return result.rowcount == 1

