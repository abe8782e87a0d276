"""Password authentication of an account at one school."""

from __future__ import annotations

from sqlalchemy import func, or_
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Account, Person
from .passwords import burn_time, check_password


def find_candidates(school_id: int, name: str) -> list[Account]:
    """Active accounts at the school whose username or e-mail is ``name`` (case-insensitive).

    E-mail is not unique (a parent and a child often share one), so there may be several.
    """
    key = name.strip().lower()
    return list(db.session.scalars(
        db.select(Account).join(Person).options(contains_eager(Account.person))
        .where(Account.school_id == school_id, Account.status == "active",
               or_(Account.username == key, func.lower(Person.email) == key))
        .order_by(Account.id)
    ))


def authenticate(school_id: int, name: str, password: str) -> Account | None:
    """The account whose person has this password, or None (same work done either way)."""
    candidates = find_candidates(school_id, name)
    if not candidates:
        burn_time(password)
        return None
    for account in candidates:
        if check_password(account.person, password):
            return account
    return None
