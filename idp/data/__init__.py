"""Data files shipped with the IdP, and their loaders.

``common-passwords.txt``: the most common passwords (its header says where they come from).
NIST SP 800-63B 3.1.1.2 asks to refuse a new password that is in such a list.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt")


def normalise(password: str) -> str:
    """The form in which passwords are compared with the list: NFC, case-folded."""
    return unicodedata.normalize("NFC", password).casefold()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list as a set (read once per process; about 10,000 entries)."""
    with COMMON_PASSWORDS.open(encoding="utf-8") as f:
        return frozenset(normalise(line.strip()) for line in f
                         if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    """Is ``password`` (ignoring case and surrounding white space) among the most common?"""
    return normalise(password.strip()) in common_passwords()
