"""Whose link is it? Accounts of one school that match what the person typed.

The seed's words are "sisesta oma nimi" (enter your name): a full name matches, in either
order ("Mari Maasikas", "Maasikas Mari"), ignoring case and extra spaces; so do a username and
an e-mail address. Only active accounts with an e-mail address can be sent a link.
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Account, Person

SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFC, single spaces, no surrounding white space."""
    return SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str) -> str:
    return clean(text).casefold()


def spellings(word: str) -> set[str]:
    """How a name word is likely stored: the database compares exactly (SQLite's ``lower``
    knows ASCII only), so ask for the usual capitalisations and compare folded afterwards."""
    return {word, word.lower(), word.upper(), word.capitalize(), word.title()}


def matching_accounts(school_id: int, typed: str) -> list[Account]:
    """Active accounts of the school whose name, username or e-mail is ``typed``.

    One query whatever was typed, so that a miss costs the same as a hit.
    """
    text = clean(typed)
    key = text.casefold()
    words = text.split(" ")
    name_words = set().union(*(spellings(w) for w in words)) if len(words) >= 2 else {""}
    rows = db.session.scalars(
        db.select(Account).join(Person, Person.id == Account.person_id)
        .where(Account.school_id == school_id, Account.status == "active",
               or_(Account.username == key.lower(),
                   func.lower(Person.email) == key.lower(),
                   and_(Person.given_name.in_(name_words), Person.family_name.in_(name_words)),
                   # names of more than one word each ("Mari-Liis Anna Kask"): compare in Python
                   and_(Person.family_name.in_(name_words), Person.given_name.contains(" ")),
                   and_(Person.given_name.in_(name_words), Person.family_name.contains(" "))))
        .options(contains_eager(Account.person))
        .order_by(Account.id))
    found = []
    for account in rows:
        person = account.person
        names = {fold(f"{person.given_name} {person.family_name}"),
                 fold(f"{person.family_name} {person.given_name}")}
        if (account.username == key or (person.email or "").strip().casefold() == key
                or key in names):
            found.append(account)
    return found
