"""eID login state kept on the server, staff password exceptions and e-mail confirmations.

* ``WebEidChallenge``: the Web eID challenge nonce of one browser (``idp.eid.webeid.nonce``).
* ``SmartIdPending``: a Smart-ID authentication waiting for the person; its data holds the
  session secret (RP API v3: never sent to the browser), so it lives only here.
* ``EidVerifiedIdentity``: who an eID login proved when the school has no account with that
  personal code; the account-request form takes it from here as "eID-verified".
* ``PasswordException``: a director's temporary permission for a teacher or staff account to
  log in with a password (at most a day; ``idp.login.staff_policy``).
* ``EmailConfirmation``: an e-mail address waiting for its confirmation link; it replaces the
  person's address only when the link is used.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow


class WebEidChallenge(db.Model):
    __tablename__ = "webeid_challenge"

    #: a random value kept in this browser's UI cookie (``idp.login.eid_store.binding``)
    binding: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class SmartIdPending(db.Model):
    __tablename__ = "smartid_pending"

    #: random; the browser's UI cookie names it
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    binding: Mapped[str] = mapped_column(String(64), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    #: the pending login (``idp.login.interactions``) this authentication answers
    iid: Mapped[str] = mapped_column(String(64))
    #: ``AuthSession.to_dict()``: contains the session secret
    data: Mapped[dict] = mapped_column(JSON)
    #: the random ``value`` of the Web2App return URL, bound to this browser
    callback_value: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class EidVerifiedIdentity(db.Model):
    __tablename__ = "eid_verified_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: random, in the account-request link and in the UI cookie
    token: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    isikukood: Mapped[str] = mapped_column(String(11))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    #: ``idcard`` | ``smartid``
    method: Mapped[str] = mapped_column(String(16))
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

    school = relationship("School")


class PasswordException(db.Model):
    __tablename__ = "password_exception"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    #: the director's account that granted (and, if so, revoked) it
    granted_by_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_by_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    account = relationship("Account", foreign_keys=[account_id])
    granted_by = relationship("Account", foreign_keys=[granted_by_account_id])

    def active_at(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and self.granted_at <= now < self.expires_at


class EmailConfirmation(db.Model):
    __tablename__ = "email_confirmation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 (hex) of the token in the e-mailed link
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: whose address changes
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    #: who asked: the person, or a guardian for their child
    requested_by_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    #: the school of the guardianship, for a child's address
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    #: used, or replaced by a newer request
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    person = relationship("Person", foreign_keys=[person_id])
