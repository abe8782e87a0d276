"""The one password policy (idp/login/password_policy.py): every path that sets a password
refuses the same passwords, among them the person's own usernames at every school."""

from __future__ import annotations

import pytest

from idp.login import password_policy
from idp.models import Account, Person


def mart() -> Person:
    person = Person(given_name="Mart", family_name="Lepik", email="mart.l@example.ee")
    person.accounts.append(Account(username="mart.lepik"))
    person.accounts.append(Account(username="mlepik"))  # a linked school's account
    return person


@pytest.mark.parametrize("password", ["mart.lepik", "Mart.Lepik", "MARTLEPIK", "mart.lepik2024!",
                                      "mlepik-1234", "Lepik Mart", "mart.l@example.ee"])
def test_own_username_name_or_address_is_refused(password):
    assert password_policy.problem(password, mart()) == \
        "The password must not be your name, username or e-mail address."
    with pytest.raises(password_policy.PasswordRefused):
        password_policy.check(password, mart())


def test_a_guardian_hears_of_the_child():
    assert password_policy.problem("mart.lepik", mart(), for_child=True) == \
        "The password must not be the child's name, username or e-mail address."


def test_a_username_not_yet_in_the_person_counts():
    person = Person(given_name="Ann", family_name="Org")
    assert password_policy.problem("uus.kasutaja", person, usernames=["uus.kasutaja"])


@pytest.mark.parametrize(("password", "why"), [
    ("lühike", "at least 8"), ("x" * 1025, "at most 1024"), ("password123", "most common")])
def test_length_and_common_passwords(password, why):
    assert why in password_policy.problem(password, None)


def test_a_good_password_passes():
    assert password_policy.problem("märtsikuu lepatriinu", mart()) is None
