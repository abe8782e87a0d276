"""Profile sync: every school holding an account of a person hears when that account changes.

A change to what a school knows about one of its accounts (the person's names, birth date,
e-mail or phone; the account's roles or status; the set of linked schools) queues, in the same
transaction, one Security Event Token (RFC 8417) per affected account for its school's
``events_uri``. The outbox worker pushes it (RFC 8935): ``application/secevent+jwt``, 202.

The changes are found where they are written: a ``before_flush`` listener reads the attribute
history of the persons and accounts being flushed, so no view, CLI command, import or API call
can change a profile and forget to tell the schools. Writes that bypass the ORM (the roster
import's bulk UPDATE) call ``queue_accounts`` themselves.

The outbox row holds no personal data, only the account and the event's ``jti``. The token is
signed when it is sent, from the account as it is then, with the account's ``profile_version``:
the version and the data it describes are read together, so a school that keeps the highest
version it has applied never goes back to older data, whatever order deliveries arrive in.
"""

from __future__ import annotations

import secrets
import time

from flask import current_app
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from ..delivery.outbox import enqueue
from ..extensions import db
from ..models import Account, Person, School

#: the ``events`` member of our SETs (a URI naming the event type, RFC 8417 2.2)
ACCOUNT_UPDATED_EVENT = "https://schemas.ope.ee/secevent/account-updated"
#: personal data a school receives (OIDC claims it already gets at login)
PERSON_FIELDS = ("given_name", "family_name", "birthdate", "email", "email_verified", "phone")
ACCOUNT_FIELDS = ("roles", "status")


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _moved(account: Account) -> tuple[bool, set[int]]:
    """Whether the account changed person (linking, unlinking), and the ids of its old persons."""
    state = inspect(account)
    by_relation = state.attrs.person.history
    by_column = state.attrs.person_id.history
    if not by_relation.has_changes() and not by_column.has_changes():
        return False, set()
    old = {p.id for p in by_relation.deleted if p is not None and p.id is not None}
    old |= {pid for pid in by_column.deleted if pid is not None}
    return True, old


def _changes(session: Session) -> tuple[set[Account], set[Person], set[int]]:
    """What this flush changes that schools see, from attribute history alone (no I/O): the
    accounts changed themselves, the persons whose accounts all hear of it, and old persons
    of accounts that moved (linking, unlinking). Most flushes (a login's last_login_at, a new
    token) change none of it."""
    accounts: set[Account] = set()
    persons: set[Person] = set()
    old_person_ids: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, Person) and _changed(obj, PERSON_FIELDS):
            persons.add(obj)
        elif isinstance(obj, Account):
            moved, old = _moved(obj)
            if moved or _changed(obj, ACCOUNT_FIELDS):
                accounts.add(obj)
            if moved:
                old_person_ids |= old
                if obj.person is not None:
                    persons.add(obj.person)  # the others now list one more (or one fewer) school
    for obj in session.new:
        # an existing person's new account: their other schools' logo bars change
        if isinstance(obj, Account) and obj.person is not None and obj.person in session \
                and obj.person not in session.new:
            persons.add(obj.person)
    return accounts, persons, old_person_ids


def affected_accounts(session: Session, changes) -> set[Account]:
    """The persisted accounts whose school-visible data this flush changes (``_changes``
    widened to every account of the persons concerned)."""
    accounts, persons, old_person_ids = changes
    for person in persons:
        if person not in session.deleted:
            accounts.update(person.accounts)
    if old_person_ids:
        accounts.update(session.scalars(select(Account).where(Account.person_id.in_(old_person_ids))))
    return {a for a in accounts if a not in session.new and a not in session.deleted}


def _queue(session: Session, _context, _instances) -> None:
    changes = _changes(session)
    if not any(changes):
        return
    if session.scalar(select(School.id).where(School.events_uri.is_not(None)).limit(1)) is None:
        return  # no school takes events: nothing to work out
    for account in affected_accounts(session, changes):
        school = session.get(School, account.school_id)
        if school is None or not school.events_uri:
            continue
        if account.status != "active" and not _changed(account, ("status",)):
            continue  # a disabled account hears once, when it is disabled
        account.profile_version = (account.profile_version or 0) + 1
        enqueue("security_event", school.events_uri,
                {"account_id": account.id, "jti": secrets.token_urlsafe(24)}, school_id=school.id)


def queue_accounts(account_ids) -> int:
    """Queue events for accounts changed by Core statements, which no flush listener sees (the
    roster import's bulk UPDATE); the caller commits. Returns how many were queued."""
    ids = sorted(set(account_ids))
    if not ids:
        return 0
    rows = db.session.execute(
        select(Account.id, School.id, School.events_uri).join(School, School.id == Account.school_id)
        .where(Account.id.in_(ids), Account.status == "active", School.events_uri.is_not(None))).all()
    if rows:
        db.session.execute(update(Account).where(Account.id.in_([r[0] for r in rows]))
                           .values(profile_version=Account.profile_version + 1)
                           .execution_options(synchronize_session=False))
    for account_id, school_id, events_uri in rows:
        enqueue("security_event", events_uri, {"account_id": account_id,
                                               "jti": secrets.token_urlsafe(24)}, school_id=school_id)
    return len(rows)


def install() -> None:
    """Listen to every flush of the application's session (idempotent)."""
    if not event.contains(db.session, "before_flush", _queue):
        event.listen(db.session, "before_flush", _queue)


def account_updated_token(school_id: int | None, payload: dict) -> str | None:
    """Sign the SET for the message ``payload`` from the account as it is now (None: gone)."""
    from ..oauth.claims import account_claims
    from ..oauth.oidc import sign_jwt

    account = db.session.get(Account, payload.get("account_id"))
    if account is None or account.school_id != school_id:
        return None
    claims = account_claims(account)
    sub = claims.pop("sub")
    status = "active" if account.status == "active" else "disabled"
    set_claims = {
        "iss": current_app.config["ISSUER"],
        "aud": account.school.client_id,
        "iat": int(time.time()),
        # the same jti on every attempt: a retry is recognisably the same event (RFC 8417 2.2)
        "jti": payload["jti"],
        "sub": sub,
        "events": {ACCOUNT_UPDATED_EVENT: {"version": account.profile_version or 1,
                                           "status": status, "claims": claims}},
    }
    # RFC 8417 2.3: explicitly typed; no exp and no nonce, so it is never an ID token
    return sign_jwt(set_claims, typ="secevent+jwt")
