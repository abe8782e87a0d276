"""The work behind account requests: submit, confirm, find likely accounts, decide.

Callers (the views) check the form values first; these functions write, queue the e-mails in
the same transaction and audit. ``actor`` is the director's username.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func

from ..delivery.mail import queue_email
from ..extensions import db
from ..models import Account, AccountRequest, AccountRequestMail, Person, School
from ..models._types import utcnow
from ..models.account_request import OPEN_STATUSES
from ..models.audit import audit
from ..recovery import tokens
from ..recovery.links import issuer_url, school_entry
from ..recovery.matching import fold, spellings
from ..recovery.service import welcome_link
from ..services import accounts as account_service
from ..services.accounts import RuleError
from ..services.lookup import by_person, email_is

VIA = "account_request"


class DecisionError(Exception):
    """The decision cannot be made as asked; ``code``/``params`` name the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


# --- the person's side ----------------------------------------------------------------------

def submit(school: School, values: dict, *, address: str | None, lang: str) -> AccountRequest:
    """Store the request (merged into an open one from the same address) and mail a link that
    confirms the address; commits. Every submission makes a new link (older ones die), but at
    most ``ACCOUNT_REQUEST_MAILS_PER_ADDRESS_HOUR`` mails go to one address per hour."""
    cfg = current_app.config
    key = values["email"].strip().casefold()
    row = db.session.scalar(
        db.select(AccountRequest)
        .where(AccountRequest.school_id == school.id, AccountRequest.email_key == key,
               AccountRequest.status.in_(OPEN_STATUSES))
        .order_by(AccountRequest.id.desc()).limit(1))
    merged = row is not None
    if row is None:
        row = AccountRequest(school_id=school.id, submissions=0)
        db.session.add(row)
    for name in ("given_name", "family_name", "email", "isikukood", "birthdate", "role",
                 "children", "message"):
        setattr(row, name, values.get(name))
    row.email_key = key
    row.eid_method = values.get("eid_method")
    row.eid_verified_at = values.get("eid_verified_at")
    row.lang = lang
    row.status = "unconfirmed"  # new data: its address must confirm it (again)
    row.confirmed_at = None
    row.submissions += 1
    row.requested_from = address
    row.updated_at = utcnow()
    value, row.confirm_digest = tokens.new_value()
    row.confirm_expires_at = utcnow() + dt.timedelta(seconds=cfg["ACCOUNT_REQUEST_CONFIRM_LIFETIME"])
    db.session.flush()
    recent = db.session.scalar(
        db.select(func.count(AccountRequestMail.id))
        .where(AccountRequestMail.email_key == key, AccountRequestMail.school_id == school.id,
               AccountRequestMail.sent_at >= utcnow() - dt.timedelta(hours=1)))
    mailed = recent < cfg["ACCOUNT_REQUEST_MAILS_PER_ADDRESS_HOUR"]
    if mailed:
        db.session.add(AccountRequestMail(school_id=school.id, email_key=key))
        queue_email(row.email, "request_confirm", lang=lang, school_id=school.id,
                    name=row.name, school=school.name,
                    url=issuer_url("account_requests.confirm", token=value),
                    days=cfg["ACCOUNT_REQUEST_CONFIRM_LIFETIME"] // 86400)
    audit("account_request_submitted", school_id=school.id, request_id=row.id, merged=merged,
          mailed=mailed, address=address)
    db.session.commit()
    return row


@dataclass
class Found:
    request: AccountRequest | None
    #: ``ok``, ``unknown``, ``expired``, ``done`` (confirmed already)
    state: str


def find_by_link(value: str) -> Found:
    if not value or len(value) > 100:
        return Found(None, "unknown")
    row = db.session.scalar(db.select(AccountRequest).where(
        AccountRequest.confirm_digest == tokens.digest(value)))
    if row is None:
        return Found(None, "unknown")
    if row.status != "unconfirmed":
        return Found(row, "done")
    if utcnow() >= row.confirm_expires_at:
        return Found(row, "expired")
    return Found(row, "ok")


def confirm(row: AccountRequest) -> None:
    """The address is confirmed: the request reaches the school's director; commits."""
    row.status = "pending"
    row.confirmed_at = utcnow()
    school = row.school
    audit("account_request_confirmed", school_id=school.id, request_id=row.id)
    directors = db.session.scalars(
        db.select(Account).where(Account.school_id == school.id, Account.status == "active"))
    addresses = {}
    for account in directors:
        email = (account.person.email or "").strip()
        if "admin" in (account.roles or []) and email:
            addresses.setdefault(email.casefold(), email)
    for email in addresses.values():
        queue_email(email, "request_review", lang=current_app.config["BABEL_DEFAULT_LOCALE"],
                    school_id=school.id, school=school.name, name=row.name,
                    url=issuer_url("request_review.detail", slug=school.slug, request_id=row.id))
    db.session.commit()


# --- the director's side --------------------------------------------------------------------

@dataclass
class Match:
    account: Account
    reasons: list[str] = field(default_factory=list)
    strength: int = 0


def likely_accounts(row: AccountRequest) -> list[Match]:
    """Accounts of the request's school that may be the same person: the same personal code,
    the same name and date of birth, the same name, or the same e-mail address."""
    given, family = spellings(row.given_name.strip()), spellings(row.family_name.strip())
    conditions = [Person.given_name.in_(given) & Person.family_name.in_(family),
                  email_is(row.email_key)]
    if row.isikukood:
        conditions.append(Person.isikukood == row.isikukood)
    if row.birthdate:
        conditions.append((Person.birthdate == row.birthdate) & Person.family_name.in_(family))
    # each condition on the person is served by one of its indexes (idp.services.lookup)
    accounts = db.session.scalars(
        db.select(Account).where(Account.id.in_(by_person(row.school_id, *conditions)))
        .order_by(Account.id))
    matches = []
    for account in accounts:
        person = account.person
        match = Match(account)
        same_name = (fold(person.given_name), fold(person.family_name)) == \
            (fold(row.given_name), fold(row.family_name))
        if row.isikukood and person.isikukood == row.isikukood:
            match.reasons.append("isikukood")
            match.strength += 8
        if same_name and row.birthdate and person.birthdate == row.birthdate:
            match.reasons.append("name_birthdate")
            match.strength += 4
        elif same_name:
            match.reasons.append("name")
            match.strength += 2
        if (person.email or "").strip().casefold() == row.email_key:
            match.reasons.append("email")
            match.strength += 1
        if match.reasons:
            matches.append(match)
    return sorted(matches, key=lambda m: (-m.strength, m.account.id))


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def suggest_username(row: AccountRequest) -> str:
    """``given.family`` in plain a-z (Õnne Sõõrumaa → onne.soorumaa), made unique at the
    school with a number (mari.maasikas2)."""
    parts = [re.sub(r"[^a-z0-9]+", "-", _ascii(p)).strip("-") for p in (row.given_name, row.family_name)]
    base = ".".join(p for p in parts if p)[:90] or "kasutaja"
    if len(base) < 2 or not base[0].isalnum():
        base = f"kasutaja.{base}".strip(".")
    taken = set(db.session.scalars(db.select(Account.username).where(
        Account.school_id == row.school_id, Account.username.like(f"{base}%"))))
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def _pending(row: AccountRequest) -> None:
    if row.status != "pending":
        raise DecisionError("request_decided")


def approve_new(row: AccountRequest, *, username: str, roles: list[str], actor: str) -> Account:
    """Create the account and mail the person a set-password link; commits."""
    _pending(row)
    school = row.school
    taken = account_service.conflicts(school.id, username=username, isikukood=row.isikukood)
    if "isikukood" in taken:
        raise DecisionError("request_isikukood_taken", **taken["isikukood"].params)
    if "username" in taken:
        raise DecisionError("username_taken", value=username)
    account = account_service.create_account(
        school, username=username, given_name=row.given_name, family_name=row.family_name,
        roles=roles, actor=actor, via=VIA, email=row.email, isikukood=row.isikukood,
        birthdate=row.birthdate)
    account.person.email_verified = True  # the request's link reached this address
    _approved(row, account, actor=actor, mode="new")
    return account


def approve_attach(row: AccountRequest, account: Account, *, actor: str) -> Account:
    """Add the request's e-mail address (and personal code) to an existing account of the
    school and mail the person a set-password link; commits."""
    _pending(row)
    if account.school_id != row.school_id:  # the views look accounts up in the school already
        raise DecisionError("no_such_account", username=account.username)
    if not account.active:
        raise DecisionError("request_account_disabled", username=account.username)
    person = account.person
    personal = {}
    if (person.email or "").strip().casefold() != row.email_key:
        personal["email"] = row.email
    if row.isikukood:
        if person.isikukood and person.isikukood != row.isikukood:
            raise DecisionError("request_isikukood_differs", username=account.username)
        if not person.isikukood:
            taken = account_service.conflicts(row.school_id, isikukood=row.isikukood, exclude=account.id)
            if taken:
                raise DecisionError("request_isikukood_taken", **taken["isikukood"].params)
            personal["isikukood"] = row.isikukood
            if person.birthdate is None:
                personal["birthdate"] = row.birthdate
    try:
        account_service.update_account(account, actor=actor, via=VIA, personal=personal)
    except RuleError as error:
        raise DecisionError(error.code, **error.params) from error
    person.email_verified = True
    _approved(row, account, actor=actor, mode="attach", fields=sorted(personal))
    return account


def _approved(row: AccountRequest, account: Account, *, actor: str, mode: str, **details) -> None:
    school = row.school
    row.status, row.decided_at, row.decided_by, row.account_id = "approved", utcnow(), actor, account.id
    url = welcome_link(account, row.email)
    cfg = current_app.config
    queue_email(row.email, "request_approved", lang=row.lang, school_id=school.id,
                name=row.name, school=school.name, username=account.username, url=url,
                days=cfg["ACCOUNT_REQUEST_PASSWORD_LINK_LIFETIME"] // 86400, attached=mode == "attach",
                login_url=school_entry(school) or issuer_url("login.at_school", slug=school.slug))
    audit("account_request_approved", school_id=school.id, person_id=account.person_id,
          actor=actor, request_id=row.id, mode=mode, username=account.username, **details)
    db.session.commit()


def reject(row: AccountRequest, *, reason: str, actor: str) -> None:
    """Reject with a reason, which the person is sent; commits."""
    _pending(row)
    school = row.school
    row.status, row.decided_at, row.decided_by, row.reason = "rejected", utcnow(), actor, reason
    queue_email(row.email, "request_rejected", lang=row.lang, school_id=school.id,
                name=row.name, school=school.name, reason=reason)
    audit("account_request_rejected", school_id=school.id, actor=actor, request_id=row.id)
    db.session.commit()
