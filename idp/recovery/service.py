"""Sending recovery links and using them; the views only translate HTTP to these calls."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask import current_app

from ..delivery.mail import queue_email
from ..extensions import db
from ..models import Account, School
from ..models._types import utcnow
from ..models.audit import audit
from ..services.accounts import change_password
from ..services.logout import live_sessions_of, logout_sessions
from ..sessions import start_session
from . import tokens
from .links import issuer_url
from .matching import matching_accounts

#: the authentication method of a session begun by an e-mailed link (see ``use_link``)
AMR_EMAIL = ["email"]


def request_links(school: School, typed: str, *, interaction: str | None, address: str | None,
                  lang: str) -> int:
    """Queue a link for every matching account of ``school`` that has an e-mail address, one
    message per address; returns how many links were made (never shown to the person).

    The database work is the same whether anything matched: one lookup, one rate count, one
    revoking update, one audit row, one commit; the mail goes out through the outbox later.
    """
    cfg = current_app.config
    matches = [a for a in matching_accounts(school.id, typed) if (a.person.email or "").strip()]
    hour_ago = utcnow() - dt.timedelta(hours=1)
    counts = tokens.recent_counts([a.id for a in matches], hour_ago)
    allowed = [a for a in matches if counts.get(a.id, 0) < cfg["RECOVERY_LINKS_PER_ACCOUNT_HOUR"]]
    tokens.revoke_for_accounts([a.id for a in allowed])  # a newer link ends the older ones
    by_address: dict[str, list[tuple[Account, str]]] = defaultdict(list)
    for account in allowed:
        email = account.person.email.strip()
        _row, value = tokens.issue(account, email=email, lifetime=cfg["RECOVERY_LINK_LIFETIME"],
                                   interaction=interaction, requested_from=address, revoke=False)
        by_address[email.casefold()].append((account, issuer_url("recovery.link", token=value)))
    for links in by_address.values():
        email = links[0][0].person.email.strip()
        queue_email(email, "recovery_link", lang=lang, school_id=school.id,
                    school=school.name, links=[{"name": a.person.name, "username": a.username,
                                                "url": url} for a, url in links],
                    minutes=cfg["RECOVERY_LINK_LIFETIME"] // 60)
    audit("recovery_requested", school_id=school.id, address=address, matched=len(matches),
          sent=len(allowed), throttled=len(matches) - len(allowed))
    db.session.commit()
    return len(allowed)


def welcome_link(account: Account, email: str) -> str:
    """The set-password link mailed when an account request is approved (caller commits)."""
    _row, value = tokens.issue(account, email=email, purpose="welcome",
                               lifetime=current_app.config["ACCOUNT_REQUEST_PASSWORD_LINK_LIFETIME"])
    return issuer_url("recovery.link", token=value)


def use_link(token, password: str, *, address: str | None) -> bool:
    """Set the password, log the person in, end every other link of theirs; commits.

    The session's ``amr`` is ``["email"]``: the person proved they read the account's mailbox
    and then chose a password, but no password was verified, so ``pwd`` would be untrue; RFC
    8176 has no registered value for an e-mailed link (its ``otp`` means HOTP/TOTP), and
    private values are allowed where the parties agree, as the schools do with this IdP.
    Returns False when the link was used by another request at the same moment.
    """
    if not tokens.use(token):
        db.session.rollback()
        return False
    account = token.account
    person = account.person
    change_password(account, password)
    person.email_verified = True  # the link reached this address
    tokens.revoke_for_accounts([a.id for a in person.accounts])
    # whoever knew the old password is logged out everywhere (the schools are told)
    logout_sessions(live_sessions_of(person.id), reason="password_recovery")
    start_session(account, amr=AMR_EMAIL, acr="low")
    audit("recovery_link_used", school_id=account.school_id, person_id=person.id,
          username=account.username, purpose=token.purpose, address=address)
    audit("login", school_id=account.school_id, person_id=person.id, method="email")
    db.session.commit()
    return True
