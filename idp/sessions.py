"""SSO sessions: created at login, found from the cookie, ended at logout.

The cookie carries a random value; the database keeps only its SHA-256 digest. A new value is
issued at every login (no fixation). Idle and absolute timeouts come from the configuration.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import Response, current_app, g, request
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import Account, Person, SessionParticipant, SSOSession, Token
from .models._types import utcnow
from .models.audit import audit


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def cookie_name() -> str:
    name = current_app.config["SSO_COOKIE_NAME"]
    return f"__Host-{name}" if secure_cookies() else name


def secure_cookies() -> bool:
    return current_app.config["ISSUER"].startswith("https://")


def current_session() -> SSOSession | None:
    """The live SSO session of this browser, or None. Touches ``last_seen_at`` (idle timeout)."""
    if "sso_session" in g:
        return g.sso_session
    g.sso_session = None
    value = request.cookies.get(cookie_name())
    if not value:
        return None
    # with the person and their accounts (account_at): one statement
    sso = db.session.execute(
        db.select(SSOSession).where(SSOSession.cookie_digest == _digest(value))
        .options(joinedload(SSOSession.person).joinedload(Person.accounts))
    ).unique().scalar_one_or_none()
    now = utcnow()
    if sso is None or sso.ended_at is not None:
        g.clear_sso_cookie = True  # a stale cookie: tell the browser to forget it
        return None
    idle = dt.timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT"])
    if now >= sso.expires_at or now - sso.last_seen_at >= idle:
        end_session(sso, reason="timeout")
        db.session.commit()
        g.clear_sso_cookie = True
        return None
    if now - sso.last_seen_at > dt.timedelta(seconds=60):  # avoid a write on every request
        sso.last_seen_at = now
        db.session.commit()
    g.sso_session = sso
    return sso


def start_session(account: Account, *, amr: list[str], acr: str) -> SSOSession:
    """Log ``account``'s person in on this browser; the cookie value always changes (no fixation).

    The same person authenticating again (``prompt=login``, ``max_age``, a stronger method)
    continues the same session: its ``sid`` stays what the schools hold, so a later logout still
    reaches them; ``auth_time``, ``amr`` and ``acr`` are the new ones. Someone else logging in
    on this browser ends the previous session, and its schools are told (back-channel logout).
    """
    previous = current_session()
    value = secrets.token_urlsafe(32)
    now = utcnow()
    account.last_login_at = now
    g.new_sso_cookie = value
    if previous is not None and previous.person_id == account.person_id:
        previous.cookie_digest = _digest(value)
        previous.login_account_id = account.id
        previous.auth_time = now.replace(microsecond=0)
        previous.amr, previous.acr = amr, acr
        previous.last_seen_at = now
        return previous
    if previous is not None:
        from .services.logout import logout_sessions  # services build on this module

        logout_sessions([previous], reason="relogin", commit=False)
        g.new_sso_cookie = value  # ending the previous session asked to clear the cookie
        g.pop("clear_sso_cookie", None)
    sso = SSOSession(
        cookie_digest=_digest(value),
        sid=secrets.token_urlsafe(24),
        person_id=account.person_id,
        login_account_id=account.id,
        auth_time=now.replace(microsecond=0),
        amr=amr,
        acr=acr,
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=current_app.config["SESSION_ABSOLUTE_TIMEOUT"]),
        user_agent=(request.user_agent.string or "")[:300],
    )
    db.session.add(sso)
    g.sso_session = sso
    return sso


def end_session(sso: SSOSession, *, reason: str) -> None:
    """End ``sso`` on the server and revoke the tokens issued in it (caller commits)."""
    if sso.ended_at is None:
        sso.ended_at = utcnow()
        db.session.execute(
            update(Token).where(Token.session_id == sso.id, Token.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        audit("session_ended", person_id=sso.person_id, reason=reason, sid=sso.sid)
    if g.get("sso_session") is sso:
        g.sso_session = None
        g.clear_sso_cookie = True


def record_participant(session_id: int, school_id: int, account_id: int) -> None:
    """Remember that a school received tokens in this session (caller commits): one INSERT that
    does nothing when the school is already recorded (PostgreSQL and SQLite alike)."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(
        insert(SessionParticipant)
        .values(session_id=session_id, school_id=school_id, account_id=account_id, first_at=utcnow())
        .on_conflict_do_nothing(index_elements=["session_id", "school_id"])
    )


def account_at(sso: SSOSession, school_id: int) -> Account | None:
    """The session person's active account at ``school_id`` (linked accounts count)."""
    for account in sso.person.accounts:
        if account.school_id == school_id and account.active:
            return account
    return None


def apply_cookie(response: Response) -> Response:
    """Set or clear the SSO cookie as decided during the request (after_request hook)."""
    value = g.get("new_sso_cookie")
    if value:
        response.set_cookie(cookie_name(), value, httponly=True, secure=secure_cookies(),
                            samesite="Lax", path="/")
    elif g.get("clear_sso_cookie"):
        response.delete_cookie(cookie_name(), path="/", secure=secure_cookies(),
                               httponly=True, samesite="Lax")
    return response
