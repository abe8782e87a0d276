"""Roster imports: a checked CSV file waiting for the director's confirmation, then its progress.

Also the rule that makes a school's own account ids usable as identities (the roster import and
the provisioning API find accounts by them): ``external_id`` is unique within a school.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow
from .account import Account

#: checked (report shown) → running (confirmed) → done | failed
STATUSES = ("checked", "running", "done", "failed")

# NULLs are distinct in a unique index on SQLite and PostgreSQL: accounts without one are fine.
Index("uq_account_school_external_id", Account.school_id, Account.external_id, unique=True)


class RosterImport(db.Model):
    """One uploaded roster file. The file itself (personal data) is kept only until it is
    applied or abandoned; the report and the result stay for the record."""

    __tablename__ = "roster_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: random public id used in the URLs of the report and progress pages
    token: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255), default="")
    content: Mapped[str | None] = mapped_column(Text)
    #: SHA-256 of the planned changes the director saw: confirming applies exactly those
    plan_digest: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="checked")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    progress_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
