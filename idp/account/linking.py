"""Linking a person's accounts at several schools, and separating them again.

Linking merges two persons: the other person's accounts move to the person of this browser's
SSO session, whose password stays in use. Proof of both: each account authenticated in this
flow within ``FRESH`` (the current one may rely on its session's ``auth_time`` while that is
recent), on a server-side flow row bound to the SSO session, single use, ten minutes long.
Personal data must match (``compare``): an e-mail address or a name alone never links.
"""

from __future__ import annotations

import datetime as dt
import secrets
import unicodedata
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, update

from .. import isikukood
from ..delivery.mail import queue_email
from ..errors import IdpError
from ..extensions import db
from ..login import staff_policy, throttle
from ..login.passwords import burn_time, check_password
from ..models import (
    Account,
    AuthorizationCode,
    LinkFlow,
    Person,
    PersonMerge,
    School,
    SessionParticipant,
    SSOSession,
    Token,
)
from ..models._types import utcnow
from ..models.audit import audit
from ..oauth.grants import revoke_tokens
from ..services.logout import (
    LogoutFanOut,
    live_sessions_of,
    logout_sessions,
    notify_participants,
)
from ..services.lookup import accounts_named

FRESH = dt.timedelta(minutes=10)
FLOW_LIFETIME = dt.timedelta(minutes=10)
STARTS_PER_HOUR = 10
TALLINN = ZoneInfo("Europe/Tallinn")


# --- the match rules (pure) ---

def fold(name: str | None) -> str:
    """A name for comparison: NFC, case folded, runs of white space made one space."""
    text = unicodedata.normalize("NFC", name or "").casefold()
    return unicodedata.normalize("NFC", " ".join(text.split()))


def known_birthdate(person) -> dt.date | None:
    if person.birthdate:
        return person.birthdate
    try:
        return isikukood.birthdate(person.isikukood) if person.isikukood else None
    except (KeyError, ValueError):
        return None


@dataclass(frozen=True)
class Match:
    differing: tuple[str, ...]
    #: ``isikukood`` or ``birthdate``: what proved that the two are one person; None: nothing
    verified_by: str | None


def compare(a, b) -> Match:
    """Names must be equal; then the isikukood where both have one, otherwise the birth date."""
    differing = [f for f in ("given_name", "family_name") if fold(getattr(a, f)) != fold(getattr(b, f))]
    verified_by, born_a, born_b = None, known_birthdate(a), known_birthdate(b)
    if a.isikukood and b.isikukood:
        verified_by = "isikukood"
        if a.isikukood.strip() != b.isikukood.strip():
            differing.append("isikukood")
    elif born_a and born_b:
        verified_by = "birthdate"
        if born_a != born_b:
            differing.append("birthdate")
    return Match(tuple(differing), verified_by)


# --- errors ---

class FlowError(IdpError):
    """The flow cannot be used here: ``reason`` is unknown (404), used or expired (410)."""

    def __init__(self, reason: str, status: int):
        super().__init__(reason, status=status)
        self.reason = reason


class TooManyFlows(IdpError):
    status = 429


class OutOfStep(Exception):
    """A form of another step was posted (back button, second tab): show the current step."""


class PasswordNotAllowed(Exception):
    """The account at the other school logs in with ID-card or Smart-ID only (staff policy);
    the message says so."""


class ChoiceError(ValueError):
    """A choice on the page is missing or not allowed; ``code`` names the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass
class Refusal:
    reason: str  # already_linked, disabled, same_school, mismatch, unverifiable
    fields: list[str] = field(default_factory=list)
    schools: list[str] = field(default_factory=list)


# --- the flow ---

def start(sso: SSOSession) -> LinkFlow:
    now = utcnow()
    started = db.session.scalar(db.select(func.count(LinkFlow.id)).where(
        LinkFlow.session_id == sso.id, LinkFlow.created_at > now - dt.timedelta(hours=1)))
    if started >= STARTS_PER_HOUR:
        raise TooManyFlows("too many linking flows in this session", detail=f"session {sso.id}")
    # one flow at a time per session: an older tab's flow ends here
    db.session.execute(update(LinkFlow).where(LinkFlow.session_id == sso.id,
                                              LinkFlow.finished_at.is_(None))
                       .values(state="cancelled", finished_at=now))
    flow = LinkFlow(flow_id=secrets.token_urlsafe(24), session_id=sso.id, person_id=sso.person_id,
                    state="school", created_at=now, expires_at=now + FLOW_LIFETIME)
    db.session.add(flow)
    audit("link_started", school_id=login_account(sso).school_id, person_id=sso.person_id)
    db.session.commit()
    return flow


def load(flow_id: str, sso: SSOSession | None, step: str | None = None) -> LinkFlow:
    """This session's flow ``flow_id``; with ``step``, only while the flow is at that step."""
    flow = db.session.scalar(db.select(LinkFlow).where(LinkFlow.flow_id == flow_id[:64]))
    # another browser's flow is as unknown as a made-up one
    if flow is None or sso is None or flow.session_id != sso.id or flow.person_id != sso.person_id:
        raise FlowError("unknown", 404)
    if flow.state in ("done", "cancelled") or (flow.finished_at and step is not None):
        raise FlowError("used", 410)
    if utcnow() >= flow.expires_at:
        raise FlowError("expired", 410)
    if step == "reauth":
        if not needs_reauth(flow, sso):
            raise OutOfStep()
    elif step is not None and (flow.state != step or needs_reauth(flow, sso)):
        raise OutOfStep()
    return flow


def needs_reauth(flow: LinkFlow, sso: SSOSession) -> bool:
    proofs = [t for t in (sso.auth_time, flow.current_auth_at) if t is not None]
    return max(proofs) < utcnow() - FRESH


def login_account(sso: SSOSession) -> Account:
    return db.session.get(Account, sso.login_account_id)


def eligible_schools(person: Person) -> list[School]:
    """Enabled schools where the person has no account yet."""
    mine = {a.school_id for a in person.accounts}
    schools = db.session.scalars(db.select(School).where(School.enabled).order_by(School.name))
    return [s for s in schools if s.id not in mine]


def choose_school(flow: LinkFlow, sso: SSOSession, slug: str) -> None:
    school = db.session.scalar(db.select(School).where(School.slug == slug, School.enabled))
    if school is None:
        raise ChoiceError("no_school")
    if school.id == login_account(sso).school_id:
        raise ChoiceError("login_school", school=school.name)
    if any(a.school_id == school.id for a in sso.person.accounts):
        raise ChoiceError("already_linked", school=school.name)
    flow.school, flow.state = school, "login"
    db.session.commit()


def _throttled(school_id: int, name: str, address: str | None, verify):
    """Run ``verify`` unless throttled: (result or None, seconds to wait). Commits."""
    keys = throttle.keys_for(school_id, name, address)
    wait = throttle.wait_seconds(keys)
    if wait:
        return None, wait
    result = verify()
    if result is None:
        throttle.record_failure(keys)
        audit("link_login_failed", school_id=school_id, address=address)
    else:
        throttle.record_success(keys)
    db.session.commit()
    return result, 0


def reauthenticate(flow: LinkFlow, sso: SSOSession, password: str, address: str | None) -> int | None:
    """Check the current person's password: None when right, else seconds to wait (0: wrong)."""
    account = login_account(sso)
    ok, wait = _throttled(account.school_id, account.username, address,
                          lambda: check_password(sso.person, password) or None)
    if not ok:
        return wait
    flow.current_auth_at = utcnow()
    db.session.commit()
    return None


def _password_owner(school_id: int, name: str, password: str) -> Account | None:
    """Like login's ``authenticate``, but a disabled account is found too (to say so)."""
    candidates = list(db.session.scalars(accounts_named(school_id, name, active_only=False)))
    if not candidates:
        burn_time(password)
    return next((a for a in candidates if check_password(a.person, password)), None)


def authenticate_other(flow: LinkFlow, sso: SSOSession, name: str, password: str,
                       address: str | None) -> int | None:
    """Log in at the chosen school inside the flow (the session stays as it is).

    None when the password was right (the flow moves on to confirm or is refused), else
    the seconds to wait (0: wrong password)."""
    other, wait = _throttled(flow.school_id, name, address,
                             lambda: _password_owner(flow.school_id, name, password))
    if other is None:
        return wait
    refusal_text = staff_policy.password_refusal(other)
    if refusal_text is not None:  # as on the school's login page: the password alone is not enough
        audit("link_login_failed", school_id=flow.school_id, reason="eid_required")
        db.session.commit()
        raise PasswordNotAllowed(refusal_text)
    flow.other_account, flow.other_auth_at, flow.state = other, utcnow(), "confirm"
    refusal = refusal_for(sso, other)
    if refusal is not None:
        refuse(flow, sso, refusal)
    db.session.commit()
    return None


def refusal_for(sso: SSOSession, other: Account) -> Refusal | None:
    person, current = sso.person, login_account(sso)
    if other.person_id == person.id:
        return Refusal("already_linked", schools=[other.school.name])
    disabled = [a.school.name for a in (current, other) if not a.active]
    if disabled:
        return Refusal("disabled", schools=disabled)
    mine = {a.school_id for a in person.accounts}
    shared = [a.school.name for a in other.person.accounts if a.school_id in mine]
    if shared:
        return Refusal("same_school", schools=shared)
    match = compare(person, other.person)
    if match.differing:
        return Refusal("mismatch", fields=list(match.differing))
    if match.verified_by is None:
        # the isikukood is what the director can add: name the schools that lack it
        lacking = [a.school.name for a, p in ((current, person), (other, other.person))
                   if not p.isikukood]
        return Refusal("unverifiable", schools=lacking)
    return None


def refuse(flow: LinkFlow, sso: SSOSession, refusal: Refusal) -> None:
    flow.state, flow.finished_at = "refused", utcnow()
    flow.refusal = {"reason": refusal.reason, "fields": refusal.fields, "schools": refusal.schools}
    # field names only: the values are personal data of possibly two people
    audit("link_refused", school_id=flow.school_id, person_id=sso.person_id,
          reason=refusal.reason, fields=refusal.fields)


def cancel(flow: LinkFlow) -> None:
    flow.state, flow.finished_at = "cancelled", utcnow()
    db.session.commit()


# --- confirmation and merge ---

@dataclass
class Kept:
    """The personal data the linked person will have (e-mail and phone before any choice)."""

    given_name: str
    family_name: str
    isikukood: str | None
    birthdate: dt.date | None
    email: str | None
    phone: str | None


@dataclass
class Preview:
    current_accounts: list[Account]
    other_accounts: list[Account]
    kept: Kept
    #: e-mail / phone: (current, other) when both are given and differ; the person chooses
    choices: dict[str, tuple[str, str]]
    #: the school whose login password stays in use (None: neither person has a password)
    password_school: School | None
    #: schools whose password stops working (the other person's, when ours stays)
    dropped_password_schools: list[School]
    #: schools where an account of the linked person is staff: there eID is needed anyway
    eid_schools: list[School] = field(default_factory=list)


def _differ(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() != b.strip().casefold())


def preview(flow: LinkFlow, sso: SSOSession) -> Preview:
    person, other = sso.person, flow.other_account.person
    kept = Kept(person.given_name, person.family_name, person.isikukood or other.isikukood,
                known_birthdate(person) or known_birthdate(other), person.email or other.email,
                person.phone or other.phone)
    choices = {f: (getattr(person, f), getattr(other, f)) for f in ("email", "phone")
               if _differ(getattr(person, f), getattr(other, f))}
    password_school = (login_account(sso).school if person.password_hash
                       else flow.school if other.password_hash else None)
    dropped = [a.school for a in other.accounts] if person.password_hash and other.password_hash else []
    accounts = [a for a in person.accounts if a.active] + list(other.accounts)
    eid_schools = [a.school for a in accounts if staff_policy.requires_eid(a)]
    return Preview([a for a in person.accounts if a.active], list(other.accounts), kept, choices,
                   password_school, dropped, eid_schools)


def confirm(flow: LinkFlow, sso: SSOSession, chosen: dict[str, str | None]) -> LogoutFanOut | None:
    """Link: move the other person's accounts here and end that person's sessions; None when
    the link is refused after all (``flow.refusal`` says why). Commits."""
    view = preview(flow, sso)
    for name in view.choices:
        if chosen.get(name) not in ("current", "other"):
            raise ChoiceError(f"choose_{name}")
    # the current account's proof is checked by load(); the flow's lifetime bounds this one too
    if flow.other_auth_at < utcnow() - FRESH:
        raise FlowError("expired", 410)
    refusal = refusal_for(sso, flow.other_account)  # anything may have changed meanwhile
    if refusal is not None:
        refuse(flow, sso, refusal)
        db.session.commit()
        return None
    # single use, also against a second worker handling a double submit
    if not db.session.execute(update(LinkFlow).where(LinkFlow.id == flow.id,
                                                     LinkFlow.finished_at.is_(None))
                              .values(state="done", finished_at=utcnow())).rowcount:
        raise FlowError("used", 410)
    person, merged = sso.person, flow.other_account.person
    notices = _notice_targets([(person, login_account(sso).school_id),
                               (merged, flow.other_account.school_id)])
    sessions = live_sessions_of(merged.id)
    moved = list(merged.accounts)
    _merge_data(person, merged, view, chosen)
    for account in moved:
        account.person = person
    db.session.add(PersonMerge(merged_person_id=merged.id, into_person_id=person.id, flow_id=flow.id))
    schools = [a.school for a in person.accounts]
    for school_id in sorted({login_account(sso).school_id, *(a.school_id for a in moved)}):
        audit("accounts_linked", school_id=school_id, person_id=person.id,
              merged_person_id=merged.id, accounts=[a.id for a in moved])
    for address, school_id in notices:
        queue_email(address, "link_notice", school_id=school_id, name=person.name,
                    schools=[s.name for s in schools], when=_local_now(),
                    password_school=view.password_school.name if view.password_school else None)
    return logout_sessions(sessions, reason="linked")  # commits the whole link


def _merge_data(person: Person, merged: Person, view: Preview, chosen: dict) -> None:
    person.isikukood, person.birthdate = view.kept.isikukood, view.kept.birthdate
    for name, verified in (("email", "email_verified"), ("phone", None)):
        mine, theirs = getattr(person, name), getattr(merged, name)
        if not theirs:
            continue
        take_other = (chosen.get(name) == "other") if name in view.choices else not mine
        if take_other:
            setattr(person, name, theirs)
            if verified:
                setattr(person, verified, getattr(merged, verified))
        elif verified and mine.strip().casefold() == theirs.strip().casefold():
            setattr(person, verified, getattr(person, verified) or getattr(merged, verified))
    if not person.password_hash and merged.password_hash:
        person.password_hash, person.password_changed_at = merged.password_hash, merged.password_changed_at
    person.version += 1
    # the merged row stays for the audit trail and ended sessions, but can do nothing more
    merged.password_hash = merged.isikukood = merged.email = merged.phone = None
    merged.email_verified = False
    merged.version += 1


def _notice_targets(pairs: list[tuple[Person, int]]) -> list[tuple[str, int]]:
    """Each distinct e-mail address once (a parent and a child often share one)."""
    seen, targets = set(), []
    for person, school_id in pairs:
        if person.email and person.email.strip().casefold() not in seen:
            seen.add(person.email.strip().casefold())
            targets.append((person.email, school_id))
    return targets


def _local_now() -> str:
    return utcnow().astimezone(TALLINN).strftime("%d.%m.%Y %H:%M")


# --- unlinking ---

def unlink_refusal(sso: SSOSession, account: Account) -> str | None:
    if len(sso.person.accounts) < 2:
        return "not_linked"
    if account.id == sso.login_account_id:
        return "login_account"
    return None


def linked_account(sso: SSOSession, account_id: int) -> Account:
    account = next((a for a in sso.person.accounts if a.id == account_id), None)
    if account is None:
        raise FlowError("unknown", 404)
    return account


def unlink(sso: SSOSession, account: Account) -> LogoutFanOut:
    """Give ``account`` a person of its own (a copy of the data, no password); every live
    session stops covering it and its school gets back-channel logout. Commits."""
    person, now = sso.person, utcnow()
    separated = Person(given_name=person.given_name, family_name=person.family_name,
                       isikukood=person.isikukood, birthdate=person.birthdate, email=person.email,
                       email_verified=person.email_verified, phone=person.phone)
    db.session.add(separated)
    account.person = separated
    revoke_tokens(Token.account_id == account.id)
    db.session.execute(update(AuthorizationCode).where(
        AuthorizationCode.account_id == account.id, AuthorizationCode.used_at.is_(None),
        AuthorizationCode.expires_at > now).values(expires_at=now))
    fan_out, through_it = LogoutFanOut(), []
    for other_sso in live_sessions_of(person.id):
        if other_sso.login_account_id == account.id:
            through_it.append(other_sso)  # logged in with that school's name: ends entirely
            continue
        notify_participants(other_sso, fan_out, school_ids={account.school_id})
        db.session.execute(delete(SessionParticipant).where(
            SessionParticipant.session_id == other_sso.id,
            SessionParticipant.school_id == account.school_id))
    db.session.flush()
    for school_id, person_id in ((account.school_id, separated.id),
                                 (login_account(sso).school_id, person.id)):
        audit("account_unlinked", school_id=school_id, person_id=person_id, account_id=account.id,
              from_person_id=person.id, to_person_id=separated.id)
    remaining = [a.school.name for a in person.accounts]
    for address, school_id in _notice_targets([(person, login_account(sso).school_id),
                                               (separated, account.school_id)]):
        queue_email(address, "unlink_notice", school_id=school_id, name=person.name,
                    school=account.school.name, remaining=remaining, when=_local_now())
    fan_out.message_ids += logout_sessions(through_it, reason="unlinked").message_ids
    return fan_out
