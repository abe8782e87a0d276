"""An account: a person's account at one school, with that school's ``sub`` and roles."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import has_app_context
from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow

ROLES = ("student", "parent", "teacher", "staff", "admin")


def new_sub() -> str:
    """A random, never reused subject identifier (pairwise by construction: one per school)."""
    return secrets.token_urlsafe(24)


class Account(db.Model):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("school_id", "username", name="uq_account_school_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    sub: Mapped[str] = mapped_column(String(64), unique=True, default=new_sub)
    #: stored lower-case: usernames are unique within a school, case-insensitively
    username: Mapped[str] = mapped_column(String(100))
    roles: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="active")
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: grows with every change the school is told about (profile sync, services/profile_sync.py)
    profile_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    school = relationship("School")
    person = relationship("Person", back_populates="accounts")

    @property
    def active(self) -> bool:
        if self.status != "active":
            return False
        if "school" in inspect(self).dict or not has_app_context():
            return self.school.enabled  # loaded here (perhaps changed in this transaction)
        from ..oauth.client_cache import school_by_id  # the cached record: no statement

        school = school_by_id(self.school_id)
        return school is not None and school.enabled


class Guardianship(db.Model):
    """A parent's account and a student's account at the same school."""

    __tablename__ = "guardianship"
    __table_args__ = (UniqueConstraint("parent_account_id", "student_account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    student_account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
