"""Account requests: "Ava kasutajakonto" > "esita andmed ja taotle kontot".

A person without an account (or without a usable one) submits their data at one school. The
request reaches the school's director only after its e-mail address was confirmed by a link
(``unconfirmed`` → ``pending``); the director then approves it (a new account, or the address
and personal code added to an existing one) or rejects it with a reason. A new submission
from the same address at the same school while one is open is merged into it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow

#: unconfirmed → pending (address confirmed, the director sees it) → approved | rejected
STATUSES = ("unconfirmed", "pending", "approved", "rejected")
OPEN_STATUSES = ("unconfirmed", "pending")
#: what the person asks to be at the school
REQUESTED_ROLES = ("parent", "student", "teacher", "other")


class AccountRequest(db.Model):
    __tablename__ = "account_request"
    __table_args__ = (Index("ix_account_request_school_status", "school_id", "status"),
                      Index("ix_account_request_school_email", "school_id", "email_key"),
                      Index("ix_account_request_status_confirm_expires", "status",
                            "confirm_expires_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    status: Mapped[str] = mapped_column(String(16), default="unconfirmed")
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    #: the address case-folded: requests from one address are merged
    email_key: Mapped[str] = mapped_column(String(320))
    isikukood: Mapped[str | None] = mapped_column(String(11))
    birthdate: Mapped[dt.date | None] = mapped_column(Date)
    role: Mapped[str] = mapped_column(String(16))
    children: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    #: the language of the form: the answers are written in it
    lang: Mapped[str] = mapped_column(String(8), default="et")
    #: how many times the form was sent (merged submissions)
    submissions: Mapped[int] = mapped_column(Integer, default=1)
    #: SHA-256 (hex) of the confirmation link's token
    confirm_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirm_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: the director's username
    decided_by: Mapped[str | None] = mapped_column(String(100))
    #: the reason of a rejection (sent to the person)
    reason: Mapped[str | None] = mapped_column(Text)
    #: the account created or completed by the approval
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    requested_from: Mapped[str | None] = mapped_column(String(64))
    #: set when the requester proved names and isikukood with ID-card or Smart-ID at this school
    eid_method: Mapped[str | None] = mapped_column(String(16))
    eid_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    school = relationship("School")
    account = relationship("Account")

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class AccountRequestMail(db.Model):
    """A confirmation e-mail sent for a request: at most a few per address and school per hour
    (the form may be sent again and again; the mailbox must not fill up)."""

    __tablename__ = "account_request_mail"
    __table_args__ = (Index("ix_account_request_mail_key", "school_id", "email_key", "sent_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    email_key: Mapped[str] = mapped_column(String(320))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
