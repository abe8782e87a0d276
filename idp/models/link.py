"""Account linking: the server-side state of one linking flow, and the record of merged persons."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow


class LinkFlow(db.Model):
    """One run of "link your account to another school", bound to the SSO session that began it.

    The random ``flow_id`` in the URLs is worthless without that browser's SSO session; the row
    is single use (``finished_at``) and expires ten minutes after it was created.
    """

    __tablename__ = "link_flow"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sso_session.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    #: school → login (at the other school) → confirm → done; or refused / cancelled
    state: Mapped[str] = mapped_column(String(16), default="school")
    #: the other school, once chosen
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    #: the account at the other school, once authenticated there
    other_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: when the current account re-authenticated inside this flow (when its session was older)
    current_auth_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    other_auth_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: why the link was refused: {"reason": ..., "fields": [...], "schools": [...]}
    refusal: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    school = relationship("School")
    other_account = relationship("Account")


class PersonMerge(db.Model):
    """A person whose accounts were moved to another person by a link.

    The merged row stays (ended sessions and the audit trail refer to it) without accounts,
    password or contact data.
    """

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    merged_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    into_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("link_flow.id"), index=True)
    merged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
