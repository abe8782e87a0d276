"""The one password policy (NIST SP 800-63B 3.1.1.2), with the reasons in words.

At least 8 characters and up to 1024 (spaces and every other character welcome, no "one
digit and one capital letter" rules), not one of the most common passwords, and not the
person's own name, username (at any of their schools) or e-mail address, with or without
digits added. Every path that sets a password goes through ``idp.login.passwords.set_password``,
which applies it: recovery and approval links, the profile, a guardian for a child, after an
eID login, the CLI and account creation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..data import is_common_password, normalise
from ..models import Person

MIN_LENGTH = 8
MAX_LENGTH = 1024

#: shown next to the field before anything is typed
RULES = _l("Choose a password of at least 8 characters. Any letters, digits, spaces and other "
           "characters will do: a few words in a row are easy to remember and hard to guess. "
           "The most common passwords and your own name or username are not accepted.")

DECORATION = re.compile(r"[\W\d_]+$")


class PasswordRefused(ValueError):
    """The policy refuses a new password; ``str()`` says why, in the page's language."""


def compact(text: str) -> str:
    return re.sub(r"[\s._-]+", "", normalise(text))


def personal_words(person: Person, usernames: Iterable[str] = ()) -> set[str]:
    """The person's names, usernames at every school and e-mail address, compacted."""
    email = (person.email or "").strip()
    given, family = person.given_name or "", person.family_name or ""
    words = {given, family, f"{given}{family}", f"{family}{given}", email,
             email.partition("@")[0], *usernames,
             *(account.username for account in person.accounts)}
    return {compact(w) for w in words if w and len(compact(w)) >= 3}


def problem(password: str, person: Person | None, usernames: Iterable[str] = (), *,
            for_child: bool = False) -> str | None:
    """What is wrong with ``password`` as the new password of ``person``, or None;
    ``for_child``: a guardian is choosing it (the message speaks of the child)."""
    if len(password) < MIN_LENGTH:
        return _("The password must have at least %(count)s characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("The password may have at most %(count)s characters.", count=MAX_LENGTH)
    if is_common_password(password):
        return _("This is one of the most common passwords, which are guessed first. "
                 "Please choose another one.")
    if person is not None:
        typed = compact(password)
        bare = DECORATION.sub("", typed)
        words = personal_words(person, usernames)
        if (typed in words or bare in words) and for_child:
            return _("The password must not be the child's name, username or e-mail address.")
        if typed in words or bare in words:
            return _("The password must not be your name, username or e-mail address.")
    return None


def check(password: str, person: Person | None, usernames: Iterable[str] = ()) -> None:
    """Raise ``PasswordRefused`` when the policy refuses ``password``."""
    wrong = problem(password, person, usernames)
    if wrong is not None:
        raise PasswordRefused(wrong)
