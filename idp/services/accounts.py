"""Creating accounts and setting passwords (until the director's tools arrive)."""

from __future__ import annotations

import datetime as dt
import re

from ..extensions import db
from ..isikukood import InvalidIsikukood, birthdate as birthdate_from_code, validate
from ..login.passwords import set_password
from ..models import ROLES, Account, Person, School
from ..models.audit import audit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")


class AccountError(ValueError):
    """Invalid account data; the message says what to fix."""


def check_password_policy(password: str) -> None:
    """NIST SP 800-63B: at least 8 characters, at most 1024, any characters."""
    if len(password) < 8:
        raise AccountError("the password must have at least 8 characters")
    if len(password) > 1024:
        raise AccountError("the password may have at most 1024 characters")


def add(school: School, *, username: str, given_name: str, family_name: str,
        roles: list[str], email: str | None = None, isikukood: str | None = None,
        birthdate: dt.date | None = None, password: str | None = None) -> Account:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("username: 2-100 of a-z, 0-9, '.', '_', '-', '@'")
    if db.session.scalar(db.select(Account.id).where(Account.school_id == school.id,
                                                     Account.username == username)):
        raise AccountError(f"{username!r} exists already at {school.slug}")
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise AccountError(f"roles must be among {', '.join(ROLES)}")
    if not given_name.strip() or not family_name.strip():
        raise AccountError("given and family name are required")
    if isikukood:
        try:
            isikukood = validate(isikukood)
        except InvalidIsikukood as exc:
            raise AccountError(f"isikukood: {exc}") from exc
        birthdate = birthdate or birthdate_from_code(isikukood)
    person = Person(given_name=given_name.strip(), family_name=family_name.strip(),
                    email=(email or None), email_verified=bool(email), isikukood=isikukood,
                    birthdate=birthdate)
    if password:
        check_password_policy(password)
        set_password(person, password)
    account = Account(school=school, person=person, username=username, roles=sorted(set(roles)))
    db.session.add_all([person, account])
    db.session.flush()
    audit("account_added", school_id=school.id, person_id=person.id, username=username)
    return account


def get(school: School, username: str) -> Account:
    account = db.session.scalar(db.select(Account).where(
        Account.school_id == school.id, Account.username == username.strip().lower()))
    if account is None:
        raise AccountError(f"no account {username!r} at {school.slug}")
    return account


def change_password(account: Account, password: str) -> None:
    check_password_policy(password)
    set_password(account.person, password)
    audit("password_set", school_id=account.school_id, person_id=account.person_id)
