"""The match rules of account linking (idp/account/linking.py): no app, table-driven."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from idp.account.linking import compare, fold, known_birthdate

IK_MARI = "48003120218"  # 12.03.1980
IK_OTHER = "38001085718"  # 08.01.1980


def person(given="Mari", family="Maasikas", isikukood=None, birthdate=None):
    return SimpleNamespace(given_name=given, family_name=family, isikukood=isikukood,
                           birthdate=birthdate)


@pytest.mark.parametrize("a, b", [
    ("Õun", "O\u0303un"),                  # precomposed vs combining tilde
    ("MARI", "mari"),
    ("Straße", "STRASSE"),                 # full case folding, not lower()
    ("Mari  Liis", " Mari Liis "),
    ("Mari\u00a0Liis", "Mari\tLiis"),       # no-break space and tab are white space
    ("Şükrü", "S\u0327u\u0308kru\u0308"),
], ids=["NFC", "case", "casefold-sharp-s", "spaces", "unicode-whitespace", "NFC-several"])
def test_fold_makes_equal(a, b):
    assert fold(a) == fold(b)


@pytest.mark.parametrize("a, b", [
    ("Mari-Liis", "Mari Liis"),
    ("Maasikas", "Maasik"),
    ("Õun", "Oun"),
], ids=["hyphen-is-not-space", "prefix", "diacritic-is-not-dropped"])
def test_fold_keeps_different(a, b):
    assert fold(a) != fold(b)


def test_fold_of_nothing():
    assert fold(None) == fold("") == fold("   ") == ""


D_MARI = dt.date(1980, 3, 12)
D_OTHER = dt.date(1980, 1, 8)

CASES = {
    "isikukood-equal": (person(isikukood=IK_MARI), person(isikukood=IK_MARI), (), "isikukood"),
    "isikukood-differs": (person(isikukood=IK_MARI), person(isikukood=IK_OTHER), ("isikukood",), "isikukood"),
    "isikukood-wins-over-birthdate": (person(isikukood=IK_MARI, birthdate=D_MARI),
                                      person(isikukood=IK_MARI, birthdate=D_OTHER), (), "isikukood"),
    "isikukood-differs-birthdate-equal": (person(isikukood=IK_MARI, birthdate=D_MARI),
                                          person(isikukood=IK_OTHER, birthdate=D_MARI),
                                          ("isikukood",), "isikukood"),
    "birthdate-when-one-lacks-isikukood": (person(isikukood=IK_MARI, birthdate=D_MARI),
                                           person(birthdate=D_MARI), (), "birthdate"),
    "birthdate-derived-from-isikukood": (person(isikukood=IK_MARI), person(birthdate=D_MARI),
                                         (), "birthdate"),
    "birthdate-derived-differs": (person(isikukood=IK_OTHER), person(birthdate=D_MARI),
                                  ("birthdate",), "birthdate"),
    "birthdate-both": (person(birthdate=D_MARI), person(birthdate=D_MARI), (), "birthdate"),
    "birthdate-differs": (person(birthdate=D_MARI), person(birthdate=D_OTHER), ("birthdate",), "birthdate"),
    "nothing-to-verify": (person(), person(), (), None),
    "one-side-only": (person(isikukood=IK_MARI), person(), (), None),
    "e-mail-and-name-are-not-enough": (person(), person(given="MARI "), (), None),
    "given-name-differs": (person(given="Kati", isikukood=IK_MARI), person(isikukood=IK_MARI),
                           ("given_name",), "isikukood"),
    "both-names-and-code-differ": (person("Kati", "Kask", IK_MARI), person(isikukood=IK_OTHER),
                                   ("given_name", "family_name", "isikukood"), "isikukood"),
    "name-differs-unverifiable": (person(family="Kask"), person(), ("family_name",), None),
}


@pytest.mark.parametrize("a, b, differing, verified_by", CASES.values(), ids=CASES.keys())
def test_compare(a, b, differing, verified_by):
    match = compare(a, b)
    assert (match.differing, match.verified_by) == (differing, verified_by)
    swapped = compare(b, a)
    assert (swapped.differing, swapped.verified_by) == (differing, verified_by), "symmetric"


def test_known_birthdate_ignores_a_broken_code():
    assert known_birthdate(person(isikukood="99999999999")) is None
    assert known_birthdate(person(isikukood="48013320218")) is None  # month 13
    assert known_birthdate(person(isikukood=IK_MARI, birthdate=D_OTHER)) == D_OTHER
