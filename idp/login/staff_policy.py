"""Who may log in with a password, and how strong a login a request needs.

* **Staff**: as in Stuudium (abi.stuudium.com "Konto turvalisus"), accounts with the teacher,
  staff or admin role log in with ID-card or Smart-ID. A director may let a teacher or staff
  account use its password for a while (at most ``PASSWORD_EXCEPTION_MAX_HOURS``, audited); a
  director's own account never logs in with a password alone.
* **Levels** (TARA TechSpec §8): ``low`` (password) < ``substantial`` (Smart-ID Basic) <
  ``high`` (ID-card, Smart-ID). A school may ask for one with ``acr_values`` (OIDC Core 3.1.2.1),
  and a staff account at that school needs ``high`` unless it has an exception.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..models import Account, PasswordException
from ..models._types import utcnow
from ..models.audit import audit

EID_ROLES = frozenset({"teacher", "staff", "admin"})
LEVELS = {"low": 0, "substantial": 1, "high": 2}


def enabled() -> bool:
    setting = current_app.config["STAFF_EID_REQUIRED"]
    return current_app.config["ENV"] != "testing" if setting is None else bool(setting)


def requires_eid(account: Account) -> bool:
    return enabled() and bool(EID_ROLES & set(account.roles or []))


def may_have_exception(account: Account) -> bool:
    """Teachers and staff may be granted a password exception; a director never."""
    roles = set(account.roles or [])
    return bool(roles & {"teacher", "staff"}) and "admin" not in roles


def active_exception(account: Account, now: dt.datetime | None = None) -> PasswordException | None:
    if not may_have_exception(account):
        return None
    now = now or utcnow()
    return db.session.scalar(db.select(PasswordException).where(
        PasswordException.account_id == account.id, PasswordException.revoked_at.is_(None),
        PasswordException.granted_at <= now, PasswordException.expires_at > now)
        .order_by(PasswordException.expires_at.desc()).limit(1))


def password_allowed(account: Account) -> bool:
    return not requires_eid(account) or active_exception(account) is not None


def password_refusal(account: Account) -> str | None:
    """Why ``account`` may not log in with its (correct) password, or None. Ask only after the
    password verified: the answer tells what the account is."""
    if password_allowed(account):
        return None
    if "admin" in (account.roles or []):
        return _("A director's account logs in with ID-card or Smart-ID only.")
    return _("School staff log in with ID-card or Smart-ID. If you cannot use them today, ask "
             "the director of the school to allow you a password for one day.")


# --- levels of assurance --------------------------------------------------------------------

def requested_level(acr_values: str | None) -> str | None:
    """The weakest level the school accepts among the ``acr_values`` we know (space-separated,
    in order of preference; OIDC Core 3.1.2.1), or None when it names none of ours."""
    known = [v for v in (acr_values or "").split() if v in LEVELS]
    return min(known, key=LEVELS.__getitem__) if known else None


def required_level(account: Account | None, acr_values: str | None) -> str | None:
    """What a login must reach for this request: the school's ``acr_values``, raised to
    ``high`` for a staff account without a password exception."""
    levels = [requested_level(acr_values)]
    if account is not None and not password_allowed(account):
        levels.append("high")
    known = [level for level in levels if level is not None]
    return max(known, key=LEVELS.__getitem__) if known else None


def satisfies(acr: str | None, required: str | None) -> bool:
    return required is None or LEVELS.get(acr or "low", 0) >= LEVELS[required]


def needs_eid(item: dict | None) -> bool:
    """Does the pending login (``interactions``) ask for more than a password gives?"""
    params = (item or {}).get("params") or {}
    return not satisfies("low", requested_level(params.get("acr_values")))


# --- the director's password exceptions -------------------------------------------------------

class ExceptionRefused(Exception):
    """A password exception that may not be granted; ``code`` names the reason."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def exceptions_in_month(account: Account, now: dt.datetime) -> int:
    return db.session.scalar(db.select(db.func.count(PasswordException.id)).where(
        PasswordException.account_id == account.id,
        PasswordException.granted_at > now - dt.timedelta(days=30))) or 0


def grant_exception(director: Account, account: Account, *, hours: int,
                    reason: str | None) -> PasswordException:
    """Let ``account`` log in with its password for ``hours`` from now (replacing a running
    exception). The caller has checked that ``director`` directs the account's school; commits."""
    cfg = current_app.config
    now = utcnow()
    if account.school_id != director.school_id or not account.active:
        raise ExceptionRefused("no_such_account")
    if not may_have_exception(account):
        raise ExceptionRefused("director" if "admin" in (account.roles or []) else "not_staff")
    if not 1 <= hours <= cfg["PASSWORD_EXCEPTION_MAX_HOURS"]:
        raise ExceptionRefused("hours")
    if reason and len(reason) > 200:
        raise ExceptionRefused("reason")
    if exceptions_in_month(account, now) >= cfg["PASSWORD_EXCEPTIONS_PER_MONTH"]:
        raise ExceptionRefused("monthly_limit")
    running = active_exception(account, now)
    if running is not None:
        running.revoked_at, running.revoked_by_account_id = now, director.id
    row = PasswordException(school_id=account.school_id, account_id=account.id,
                            granted_by_account_id=director.id, reason=(reason or None),
                            granted_at=now, expires_at=now + dt.timedelta(hours=hours))
    db.session.add(row)
    audit("password_exception_granted", school_id=account.school_id, person_id=account.person_id,
          actor=director.username, username=account.username, hours=hours,
          until=row.expires_at.isoformat(), reason=reason or "")
    db.session.commit()
    return row


def revoke_exception(director: Account, row: PasswordException) -> None:
    """End a running exception now (commits)."""
    if row.revoked_at is not None or row.expires_at <= utcnow():
        return
    row.revoked_at, row.revoked_by_account_id = utcnow(), director.id
    audit("password_exception_revoked", school_id=row.school_id, person_id=row.account.person_id,
          actor=director.username, username=row.account.username)
    db.session.commit()
