"""Server-side SSO sessions, the schools that took part in each, and login throttling."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow


class SSOSession(db.Model):
    """One browser login. The cookie holds a random value; only its digest is stored."""

    __tablename__ = "sso_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cookie_digest: Mapped[str] = mapped_column(String(64), unique=True)
    #: the public session id given to schools in ID tokens and logout tokens (``sid``)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: the account the person authenticated with (its school's login page)
    login_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    amr: Mapped[list] = mapped_column(JSON, default=list)
    acr: Mapped[str] = mapped_column(String(32), default="low")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    user_agent: Mapped[str | None] = mapped_column(String(300))

    person = relationship("Person")
    participants = relationship("SessionParticipant", back_populates="session",
                                order_by="SessionParticipant.id")


class SessionParticipant(db.Model):
    """A school that received tokens in an SSO session (drives global logout)."""

    __tablename__ = "session_participant"
    __table_args__ = (UniqueConstraint("session_id", "school_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sso_session.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    session = relationship("SSOSession", back_populates="participants")
    school = relationship("School")
    account = relationship("Account")


class LoginThrottle(db.Model):
    """Failed-login counter per key (an account name at a school, or a client address)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
