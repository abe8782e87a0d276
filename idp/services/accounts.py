"""Creating accounts and setting passwords (until the director's tools arrive)."""

from __future__ import annotations

import datetime as dt
import re

from ..extensions import db
from ..isikukood import InvalidIsikukood, validate
from ..isikukood import birthdate as birthdate_from_code
from ..login.password_policy import PasswordRefused
from ..login.passwords import set_password
from ..models import (
    ROLES,
    Account,
    Guardianship,
    Person,
    School,
    SessionParticipant,
    SSOSession,
    Token,
)
from ..models.audit import audit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")


class AccountError(ValueError):
    """Invalid account data; the message says what to fix."""


def add(school: School, *, username: str, given_name: str, family_name: str,
        roles: list[str], email: str | None = None, isikukood: str | None = None,
        birthdate: dt.date | None = None, password: str | None = None) -> Account:
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("username: 2-100 of a-z, 0-9, '.', '_', '-', '@'")
    if db.session.scalar(db.select(Account.id).where(Account.school_id == school.id,
                                                     Account.username == username)):
        raise AccountError(f"{username!r} exists already at {school.slug}")
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise AccountError(f"roles must be among {', '.join(ROLES)}")
    if not given_name.strip() or not family_name.strip():
        raise AccountError("given and family name are required")
    if isikukood:
        try:
            isikukood = validate(isikukood)
        except InvalidIsikukood as exc:
            raise AccountError(f"isikukood: {exc}") from exc
        birthdate = birthdate or birthdate_from_code(isikukood)
        holder = isikukood_holder(school.id, isikukood)
        if holder:
            raise AccountError(f"isikukood: {holder!r} at {school.slug} has it already")
    person = Person(given_name=given_name.strip(), family_name=family_name.strip(),
                    email=(email or None), email_verified=bool(email), isikukood=isikukood,
                    birthdate=birthdate)
    if password:
        try:
            set_password(person, password, usernames=[username])
        except PasswordRefused as exc:
            raise AccountError(f"password: {exc}") from exc
    account = Account(school=school, person=person, username=username, roles=sorted(set(roles)))
    db.session.add_all([person, account])
    db.session.flush()
    audit("account_added", school_id=school.id, person_id=person.id, username=username)
    return account


def get(school: School, username: str) -> Account:
    account = db.session.scalar(db.select(Account).where(
        Account.school_id == school.id, Account.username == username.strip().lower()))
    if account is None:
        raise AccountError(f"no account {username!r} at {school.slug}")
    return account


def change_password(account: Account, password: str) -> None:
    """Set the person's password; ``AccountError`` says why the policy refuses it."""
    try:
        set_password(account.person, password)
    except PasswordRefused as exc:
        raise AccountError(f"password: {exc}") from exc
    audit("password_set", school_id=account.school_id, person_id=account.person_id)


# --- The director's tools and the provisioning API (idp/admin, idp/api) ------------------------
# Callers check values first (idp/roster/fields.py) and commit; these functions write and audit.
# ``actor`` is who did it (the director's username, "api:<client_id>"), ``via`` where.



class RuleError(AccountError):
    """A change the rules refuse; ``code`` and ``params`` name the message (idp/roster/messages)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def is_linked(account: Account) -> bool:
    """Has the account's person accounts at other schools? Then only they change their data."""
    return db.session.scalar(db.select(Account.id).where(
        Account.person_id == account.person_id, Account.school_id != account.school_id).limit(1)) is not None


def conflicts(school_id: int, *, username: str | None = None, external_id: str | None = None,
              isikukood: str | None = None, exclude: int | None = None) -> dict[str, RuleError]:
    """Values that another account of the school holds already, by field."""
    found = {}
    others = db.select(Account.username).where(Account.school_id == school_id, Account.id != (exclude or 0))
    if username and db.session.scalar(others.where(Account.username == username)):
        found["username"] = RuleError("username_taken", value=username)
    if external_id and db.session.scalar(others.where(Account.external_id == external_id)):
        found["external_id"] = RuleError("external_id_taken", value=external_id)
    if isikukood:
        holder = db.session.scalar(others.join(Person, Person.id == Account.person_id)
                                   .where(Person.isikukood == isikukood).limit(1))
        if holder:
            found["isikukood"] = RuleError("isikukood_taken", username=holder)
    return found


def create_account(school: School, *, username: str, given_name: str, family_name: str,
                   roles: list[str], actor: str, via: str, email: str | None = None,
                   isikukood: str | None = None, birthdate: dt.date | None = None,
                   external_id: str | None = None, phone: str | None = None) -> Account:
    """A new person and their account, without a password: they log in with ID-card or
    Smart-ID, or choose a password through "forgot password?" with the e-mail address."""
    check_isikukood_free(school.id, isikukood)
    person = Person(given_name=given_name, family_name=family_name, email=email, phone=phone,
                    email_verified=False, isikukood=isikukood, birthdate=birthdate)
    account = Account(school=school, person=person, username=username, roles=sorted(set(roles)),
                      external_id=external_id)
    db.session.add_all([person, account])
    db.session.flush()
    audit("account_created", school_id=school.id, person_id=person.id, actor=actor,
          username=username, via=via)
    return account


def update_account(account: Account, *, actor: str, via: str, personal: dict | None = None,
                   roles: list[str] | None = None, username: str | None = None,
                   external_id: str | None = None) -> list[str]:
    """Set what is given (a None in ``personal``, or ``external_id=""``, erases); returns the
    names of the changed fields.

    Personal data of a person with accounts at other schools is theirs: changing it raises
    ``RuleError("linked_readonly")``.
    """
    person, changed = account.person, []
    for name, value in (personal or {}).items():
        if getattr(person, name) != value:
            changed.append(name)
    if changed and is_linked(account):
        raise RuleError("linked_readonly")
    if "isikukood" in changed:
        check_isikukood_free(account.school_id, personal["isikukood"], person_id=person.id)
    for name in changed:
        setattr(person, name, personal[name])
    if "email" in changed:
        person.email_verified = False
    if changed:
        person.version += 1
    own = {"roles": sorted(set(roles)) if roles is not None else None, "username": username,
           "external_id": external_id}
    for name, value in own.items():
        if value is None:
            continue
        value = value or None  # "" erases the external id
        if getattr(account, name) != value:
            setattr(account, name, value)
            changed.append(name)
    if changed:
        audit("account_updated", school_id=account.school_id, person_id=account.person_id,
              actor=actor, username=account.username, fields=sorted(changed), via=via)
    return changed


def disable_account(account: Account, *, actor: str, via: str) -> bool:
    """Disable; end every token of the account and the school's sessions built on them."""
    from ..oauth.grants import revoke_tokens
    from .logout import queue_logout

    if account.status == "disabled":
        return False
    account.status = "disabled"
    revoked = revoke_tokens(Token.account_id == account.id)
    school = account.school
    if school.backchannel_logout_uri:
        # OIDC Back-Channel Logout 2.5: the school ends its sessions of this sub
        sids = db.session.scalars(db.select(SSOSession.sid).join(
            SessionParticipant, SessionParticipant.session_id == SSOSession.id).where(
            SessionParticipant.account_id == account.id, SSOSession.ended_at.is_(None)))
        for sid in sids:
            queue_logout(school, sub=account.sub, sid=sid)  # signed when sent (fresh exp)
    audit("account_disabled", school_id=account.school_id, person_id=account.person_id,
          actor=actor, username=account.username, revoked_tokens=revoked, via=via)
    return True


def enable_account(account: Account, *, actor: str, via: str) -> bool:
    if account.status == "active":
        return False
    account.status = "active"
    audit("account_enabled", school_id=account.school_id, person_id=account.person_id,
          actor=actor, username=account.username, via=via)
    return True


def add_guardianship(parent: Account, student: Account, *, actor: str, via: str) -> tuple[Guardianship, bool]:
    """Link a parent's and a student's account at the same school; (row, created)."""
    if parent.school_id != student.school_id:
        raise RuleError("no_such_account", username=student.username)
    if parent.id == student.id:
        raise RuleError("same_account")
    if "parent" not in parent.roles:
        raise RuleError("not_parent", username=parent.username)
    if "student" not in student.roles:
        raise RuleError("not_student", username=student.username)
    existing = db.session.scalar(db.select(Guardianship).where(
        Guardianship.parent_account_id == parent.id, Guardianship.student_account_id == student.id))
    if existing is not None:
        return existing, False
    row = Guardianship(parent_account_id=parent.id, student_account_id=student.id)
    db.session.add(row)
    audit("guardianship_added", school_id=parent.school_id, person_id=parent.person_id,
          actor=actor, parent=parent.username, student=student.username, via=via)
    return row, True


def remove_guardianship(row: Guardianship, *, actor: str, via: str) -> None:
    parent = db.session.get(Account, row.parent_account_id)
    student = db.session.get(Account, row.student_account_id)
    db.session.delete(row)
    audit("guardianship_removed", school_id=parent.school_id, person_id=parent.person_id,
          actor=actor, parent=parent.username, student=student.username, via=via)


# --- One isikukood per school: an eID login finds the account by it (idp/login/eid_services) ---

def isikukood_holder(school_id: int, code: str | None, *, person_id: int | None = None) -> str | None:
    """The username of an account at the school whose person (another than ``person_id``)
    carries the isikukood ``code``; None if there is none."""
    if not code:
        return None
    query = db.select(Account.username).join(Person, Person.id == Account.person_id).where(
        Account.school_id == school_id, Person.isikukood == code)
    if person_id is not None:
        query = query.where(Person.id != person_id)
    return db.session.scalar(query.limit(1))


def check_isikukood_free(school_id: int, code: str | None, *, person_id: int | None = None) -> None:
    """Raise ``RuleError("isikukood_taken")`` when another person's account at the school
    carries ``code``: two accounts of one school never share an isikukood."""
    holder = isikukood_holder(school_id, code, person_id=person_id)
    if holder:
        raise RuleError("isikukood_taken", username=holder)
