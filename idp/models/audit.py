"""Audit trail: who did what, when, at which school."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..ops.metrics import count_login_event
from ._types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    #: the director's audit page: one school's events, newest first
    __table_args__ = (Index("ix_audit_event_school_id_id", "school_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(64))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    actor: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSON, default=dict)


def audit(event: str, *, school_id=None, person_id=None, actor=None, **details) -> AuditEvent:
    """Add an audit event to the current transaction (committed with the change it records)."""
    row = AuditEvent(event=event, school_id=school_id, person_id=person_id, actor=actor,
                     details=details)
    db.session.add(row)
    count_login_event(event, details)  # every login is audited: the metrics count them here
    return row
