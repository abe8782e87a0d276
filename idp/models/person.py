"""A person: owner of one or more accounts; personal data and the password live here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow


class Person(db.Model):
    __tablename__ = "person"
    #: looking people up by name (recovery, account requests): both names, in either order
    #: (``idp.recovery.matching``, ``idp.services.lookup``)
    __table_args__ = (Index("ix_person_family_given", "family_name", "given_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    isikukood: Mapped[str | None] = mapped_column(String(11), index=True)
    #: indexed: an account request is compared with people of the same birth date
    birthdate: Mapped[dt.date | None] = mapped_column(Date, index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: bumped on every change of personal data (profile sync orders events by it)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    accounts = relationship("Account", back_populates="person", order_by="Account.id")

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


# The login lookup compares ``lower(email)`` (e-mail is not unique, case is not significant):
# only an index on that expression serves it.
Index("ix_person_email_lower", func.lower(Person.email))
