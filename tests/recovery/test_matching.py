"""Whose link is it: names of several words, in either order and any case, found through the
person's name index (``idp.recovery.matching``)."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.recovery.matching import matching_accounts
from idp.services import accounts as account_service
from idp.services import schools as school_service

PEOPLE = [("mariliis", "Mari-Liis Anna", "Kask"), ("hans", "Hans", "Peeter Tamm"),
          ("anna", "Anna", "Kask"), ("liis", "Mari-Liis", "Anna Kask")]


@pytest.fixture
def school(ctx, world):
    school = school_service.get("alpha")
    for username, given, family in PEOPLE:
        account_service.add(school, username=username, given_name=given, family_name=family,
                            roles=["parent"], email=f"{username}@example.ee")
    db.session.commit()
    return school


@pytest.mark.parametrize("typed, found", [
    ("Mari-Liis Anna Kask", {"mariliis", "liis"}),  # the same full name, split in two ways
    ("kask mari-liis anna", {"mariliis"}),
    ("MARI-LIIS  ANNA   KASK", {"mariliis", "liis"}),
    ("Anna Kask Mari-Liis", {"liis"}),
    ("hans peeter tamm", {"hans"}),
    ("Peeter Tamm Hans", {"hans"}),
    ("Anna Kask", {"anna"}),
    ("Kask Anna", {"anna"}),
    ("Peeter", set()),
    ("Mari-Liis Kask", set()),
])
def test_names_of_several_words_in_either_order(school, typed, found):
    assert {a.username for a in matching_accounts(school.id, typed)} == found
