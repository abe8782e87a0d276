"""Password authentication of an account at one school."""

from __future__ import annotations

from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Account
from ..services.lookup import accounts_named
from .passwords import burn_time, check_password


def find_candidates(school_id: int, name: str) -> list[Account]:
    """Active accounts at the school whose username or e-mail is ``name`` (case-insensitive).

    E-mail is not unique (a parent and a child often share one), so there may be several.
    """
    # the person comes in the same statement (its password is checked next)
    return list(db.session.scalars(
        accounts_named(school_id, name, active_only=True).options(joinedload(Account.person))))


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
