"""Whose link is it? Accounts of one school that match what the person typed.

The seed's words are "sisesta oma nimi" (enter your name): a full name matches, in either
order ("Mari Maasikas", "Maasikas Mari"), ignoring case and extra spaces; so do a username and
an e-mail address. Only active accounts with an e-mail address can be sent a link.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import product

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Account, Person
from ..services.lookup import by_username_or_person

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


def phrase_spellings(words: list[str]) -> set[str]:
    """How a name of one or more words is likely stored: every word spelt as ``spellings``
    says (three words at most that way; a longer name as a whole)."""
    if len(words) > 3:
        return spellings(" ".join(words))
    return {" ".join(combo) for combo in product(*(spellings(w) for w in words))}


def name_conditions(words: list[str]) -> list[ColumnElement[bool]]:
    """The typed words as a given name and a family name, in either order, split anywhere
    ("Mari-Liis Anna Kask": given "Mari-Liis Anna", family "Kask", or given "Mari-Liis", family
    "Anna Kask", ...): each an exact lookup of ``ix_person_family_given``."""
    conditions = []
    for cut in range(1, len(words)):
        first, second = phrase_spellings(words[:cut]), phrase_spellings(words[cut:])
        for given, family in ((first, second), (second, first)):
            conditions.append(and_(Person.family_name.in_(family), Person.given_name.in_(given)))
    return conditions


def matching_accounts(school_id: int, typed: str) -> list[Account]:
    """Active accounts of the school whose name, username or e-mail is ``typed``.

    One query whatever was typed, so that a miss costs the same as a hit; every branch of it
    is served by an index (``idp.services.lookup``). Names are compared folded afterwards.
    """
    text = clean(typed)
    key = text.casefold()
    ids = by_username_or_person(school_id, key.lower(), *name_conditions(text.split(" ")[:8]))
    rows = db.session.scalars(
        db.select(Account).join(Person, Person.id == Account.person_id)
        .where(Account.id.in_(ids), Account.status == "active")
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
