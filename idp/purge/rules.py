"""When a row may go: one rule per table, as SQL predicates evaluated at ``now``.

``cutoff`` is ``now - PURGE_GRACE``: what expired or ended before it is due. Rows other rows
still need are kept with them:

* A token family (one grant: the code's tokens and every rotation) goes as a whole once none
  of its rows is alive. A rotated refresh token therefore stays exactly as long as presenting it
  again could still revoke a live descendant (RFC 9700 4.14.2 replay detection).
* A code stays while a token issued from it stays (reuse revokes those tokens, RFC 6749 4.1.2;
  the granted scope is read from the family's first token) and until ``PURGE_GRACE`` after it
  expired: ``exists_nonce`` remembers a nonce for that long.
* A session stays while a token, code or linking flow of it stays, and until ``PURGE_GRACE``
  after it ended, expired or went idle; its participants go with it.
* Rows that rate limits count (recovery links, confirmation mails, linking flows, password
  exceptions) stay for the whole window they are counted in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, delete, exists, not_, or_, update
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    AccountRequest,
    AccountRequestMail,
    AuditEvent,
    AuthorizationCode,
    EidVerifiedIdentity,
    EmailConfirmation,
    LinkFlow,
    LoginThrottle,
    OutboxMessage,
    PasswordException,
    PersonMerge,
    RecoveryToken,
    SessionParticipant,
    SmartIdPending,
    SSOSession,
    Token,
    WebEidChallenge,
)

HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Clock:
    """The moments the rules compare with, from one ``now`` and the configuration."""

    now: dt.datetime
    config: dict

    @property
    def cutoff(self) -> dt.datetime:
        return self.now - dt.timedelta(seconds=self.config["PURGE_GRACE"])

    def days_ago(self, key: str) -> dt.datetime | None:
        days = self.config.get(key)
        return self.now - dt.timedelta(days=days) if days else None


# --- tokens, codes, sessions ------------------------------------------------------------------

def token_alive(t, clock: Clock) -> ColumnElement[bool]:
    """A token row that still works, or ended less than ``PURGE_GRACE`` ago. Never NULL (SQL's
    third value would turn ``NOT alive`` into "unknown"): nullable columns are tested first."""
    cutoff = clock.cutoff
    s = aliased(SSOSession)
    session_live = or_(t.session_id.is_(None), exists().where(
        s.id == t.session_id, s.expires_at > cutoff, or_(s.ended_at.is_(None), s.ended_at > cutoff)))
    return or_(
        and_(t.revoked_at.is_(None), t.access_expires_at > cutoff),
        and_(t.revoked_at.is_not(None), t.revoked_at > cutoff),
        and_(t.refresh_token_digest.is_not(None), t.revoked_at.is_(None), t.rotated_at.is_(None),
             t.refresh_expires_at.is_not(None), t.refresh_expires_at > cutoff, session_live),
    )


def token_due(t, clock: Clock) -> ColumnElement[bool]:
    family = aliased(Token)
    return and_(not_(token_alive(t, clock)),
                ~exists().where(family.family_id == t.family_id, token_alive(family, clock)))


def code_due(c, clock: Clock) -> ColumnElement[bool]:
    t = aliased(Token)
    return and_(c.expires_at < clock.cutoff,
                ~exists().where(t.code_id == c.id, not_(token_due(t, clock))))


def link_flow_due(f, clock: Clock) -> ColumnElement[bool]:
    # linking counts a session's flows of the last hour
    return and_(f.expires_at < clock.cutoff, f.created_at < clock.now - HOUR)


def session_due(s, clock: Clock) -> ColumnElement[bool]:
    cutoff = clock.cutoff
    idle = dt.timedelta(seconds=clock.config["SESSION_IDLE_TIMEOUT"])
    t, c, f = aliased(Token), aliased(AuthorizationCode), aliased(LinkFlow)
    return and_(
        or_(s.ended_at < cutoff, s.expires_at < cutoff, s.last_seen_at < cutoff - idle),
        ~exists().where(t.session_id == s.id, not_(token_due(t, clock))),
        ~exists().where(c.session_id == s.id, not_(code_due(c, clock))),
        ~exists().where(f.session_id == s.id, not_(link_flow_due(f, clock))),
    )


def _delete_code_dependents(ids: list[int]) -> dict[str, int]:
    # tokens issued from a due code are due themselves (the code's rule says so)
    gone = db.session.execute(delete(Token).where(Token.code_id.in_(ids))).rowcount or 0
    return {"token": gone}


def _delete_link_flow_dependents(ids: list[int]) -> dict[str, int]:
    # the merge record stays (the audit trail refers to it); only its pointer to the flow goes
    db.session.execute(update(PersonMerge).where(PersonMerge.flow_id.in_(ids)).values(flow_id=None))
    return {}


def _delete_session_dependents(ids: list[int]) -> dict[str, int]:
    """What hangs off due sessions; every token, code and flow of a due session is due."""
    counts = {"token": db.session.execute(delete(Token).where(Token.session_id.in_(ids))).rowcount or 0}
    counts["authorization_code"] = db.session.execute(
        delete(AuthorizationCode).where(AuthorizationCode.session_id.in_(ids))).rowcount or 0
    flows = list(db.session.scalars(db.select(LinkFlow.id).where(LinkFlow.session_id.in_(ids))))
    if flows:
        _delete_link_flow_dependents(flows)
        db.session.execute(delete(LinkFlow).where(LinkFlow.id.in_(flows)))
    counts["link_flow"] = len(flows)
    counts["session_participant"] = db.session.execute(
        delete(SessionParticipant).where(SessionParticipant.session_id.in_(ids))).rowcount or 0
    return counts


# --- the rest ---------------------------------------------------------------------------------

def outbox_due(m, clock: Clock) -> ColumnElement[bool]:
    delivered = and_(m.status == "delivered", m.delivered_at < clock.cutoff)
    failed_before = clock.days_ago("OUTBOX_FAILED_RETENTION_DAYS")
    if failed_before is None:
        return delivered
    return or_(delivered, and_(m.status == "failed", m.created_at < failed_before))


def throttle_due(r, clock: Clock) -> ColumnElement[bool]:
    # a key without a failure for LOGIN_FORGET_AFTER starts from zero anyway (idp.login.throttle)
    forget = clock.now - dt.timedelta(seconds=clock.config["LOGIN_FORGET_AFTER"])
    return and_(r.last_failure_at < forget,
                or_(r.locked_until.is_(None), r.locked_until < clock.now))


def audit_due(a, clock: Clock) -> ColumnElement[bool] | None:
    before = clock.days_ago("AUDIT_RETENTION_DAYS")
    return None if before is None else a.at < before


def expired(column_name: str, *, counted_for: str | None = None, window: dt.timedelta = HOUR):
    """Due ``PURGE_GRACE`` after ``column_name``; with ``counted_for``, also not before that
    column is ``window`` old (a rate limit counts the row that long)."""
    def due(row, clock: Clock) -> ColumnElement[bool]:
        condition = getattr(row, column_name) < clock.cutoff
        if counted_for:
            condition = and_(condition, getattr(row, counted_for) < clock.now - window)
        return condition
    return due


def unconfirmed_request_due(r, clock: Clock) -> ColumnElement[bool]:
    return and_(r.status == "unconfirmed", r.confirm_expires_at < clock.cutoff)


@dataclass(frozen=True)
class Rule:
    model: type
    due: Callable[..., ColumnElement[bool] | None]
    #: deletes (in the same transaction) what hangs off the rows about to go; returns counts
    dependents: Callable[[list[int]], dict[str, int]] | None = None
    #: foreign keys of rows that go only with this table's rows (counted by a dry run)
    owned: tuple = ()

    @property
    def table(self) -> str:
        return self.model.__tablename__  # type: ignore[attr-defined]

    @property
    def key(self):
        return self.model.__mapper__.primary_key[0]  # type: ignore[attr-defined]


#: in order: what others depend on goes after them
RULES: tuple[Rule, ...] = (
    Rule(Token, token_due),
    Rule(AuthorizationCode, code_due, _delete_code_dependents),
    Rule(LinkFlow, link_flow_due, _delete_link_flow_dependents),
    Rule(SSOSession, session_due, _delete_session_dependents, owned=(SessionParticipant.session_id,)),
    Rule(OutboxMessage, outbox_due),
    Rule(LoginThrottle, throttle_due),
    Rule(RecoveryToken, expired("expires_at", counted_for="created_at")),
    Rule(AccountRequest, unconfirmed_request_due),
    Rule(AccountRequestMail, expired("sent_at", counted_for="sent_at")),
    Rule(EmailConfirmation, expired("expires_at")),
    Rule(WebEidChallenge, expired("expires_at")),
    Rule(SmartIdPending, expired("expires_at")),
    Rule(EidVerifiedIdentity, expired("expires_at")),
    # staff_policy counts a month's exceptions
    Rule(PasswordException, expired("expires_at", counted_for="granted_at",
                                    window=dt.timedelta(days=31))),
    Rule(AuditEvent, audit_due),
)
