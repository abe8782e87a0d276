"""Argon2id password hashing (argon2-cffi), parameters from the configuration."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app

from ..models import Person
from ..models._types import utcnow
from . import password_policy


def hasher() -> PasswordHasher:
    ph = current_app.extensions.get("password_hasher")
    if ph is None:
        cfg = current_app.config
        ph = PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"],
                            parallelism=cfg["ARGON2_PARALLELISM"])
        current_app.extensions["password_hasher"] = ph
    return ph


def set_password(person: Person, password: str, usernames: Iterable[str] = ()) -> None:
    """Set a new password; the one policy (``password_policy``) refuses a weak one with
    ``PasswordRefused``. ``usernames``: the person's accounts not yet in ``person.accounts``."""
    password_policy.check(password, person, usernames)
    person.password_hash = hasher().hash(password)
    person.password_changed_at = utcnow()


def check_password(person: Person, password: str) -> bool:
    """Verify; upgrade the hash in place when the parameters changed (caller commits)."""
    ph = hasher()
    if not person.password_hash:
        burn_time(password)
        return False
    try:
        ph.verify(person.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    if ph.check_needs_rehash(person.password_hash):
        person.password_hash = ph.hash(password)
    return True


def burn_time(password: str) -> None:
    """Spend the time of one verification, so that a missing account is not told by timing."""
    ph = hasher()
    dummy = current_app.extensions.get("dummy_password_hash")
    if dummy is None:
        dummy = current_app.extensions["dummy_password_hash"] = ph.hash("dummy password")
    try:
        ph.verify(dummy, password)
    except VerificationError:
        pass
