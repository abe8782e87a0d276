"""Password rules people can live with (NIST SP 800-63B 3.1.1.2), with the reasons in words.

At least 8 characters and up to 1024 (spaces and every other character welcome, no "one
digit and one capital letter" rules), not one of the most common passwords, and not the
person's own name, username or e-mail address (with or without digits added).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..data import is_common_password, normalise
from ..models import Account

MIN_LENGTH = 8
MAX_LENGTH = 1024

#: shown next to the field before anything is typed
RULES = _l("Choose a password of at least 8 characters. Any letters, digits, spaces and other "
           "characters will do: a few words in a row are easy to remember and hard to guess. "
           "The most common passwords and your own name or username are not accepted.")

DECORATION = re.compile(r"[\W\d_]+$")


def compact(text: str) -> str:
    return re.sub(r"[\s._-]+", "", normalise(text))


def personal_words(account: Account) -> set[str]:
    person = account.person
    email = (person.email or "").strip()
    words = {account.username, person.given_name, person.family_name,
             f"{person.given_name}{person.family_name}", f"{person.family_name}{person.given_name}",
             email, email.partition("@")[0]}
    return {compact(w) for w in words if w and len(compact(w)) >= 3}


def problem(password: str, account: Account | None) -> str | None:
    """What is wrong with ``password`` as a new password of ``account``, or None."""
    if len(password) < MIN_LENGTH:
        return _("The password must have at least %(count)s characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("The password may have at most %(count)s characters.", count=MAX_LENGTH)
    if is_common_password(password):
        return _("This is one of the most common passwords, which are guessed first. "
                 "Please choose another one.")
    if account is not None:
        typed = compact(password)
        bare = DECORATION.sub("", typed)
        words = personal_words(account)
        if typed in words or bare in words:
            return _("The password must not be your name, username or e-mail address.")
    return None
