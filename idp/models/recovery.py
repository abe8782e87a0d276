"""E-mailed one-time links that log a person in to choose a password ("unustasid salasõna?").

The link carries a random token; only its SHA-256 digest is stored, so the table cannot be used
to rebuild a live link. A token is for one account and dies when it is used, when it expires,
when a newer link is sent for the same account (``revoked_at``), when the person's password
changes after it was made, and when the account's e-mail address is no longer the one it was
sent to (checked in ``idp.recovery.tokens``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow

#: ``recovery``: "unustasid salasõna?"; ``welcome``: the first password after an approved
#: account request (a longer lifetime)
PURPOSES = ("recovery", "welcome")


class RecoveryToken(db.Model):
    __tablename__ = "recovery_token"
    __table_args__ = (Index("ix_recovery_token_account_created", "account_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: SHA-256 (hex) of the random value in the link
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16), default="recovery")
    #: the address the link was sent to (the link dies if the account's address changes)
    email: Mapped[str] = mapped_column(String(320))
    #: the pending login (interaction id in the requesting browser's UI cookie), to continue
    #: the authorization request when the link is opened in that same browser
    interaction: Mapped[str | None] = mapped_column(String(64))
    #: client address of the request (for the audit trail)
    requested_from: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: a newer link for the same account, or a password change, ended this one
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    account = relationship("Account")
