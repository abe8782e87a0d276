"""Authorization codes and tokens. Only SHA-256 digests of the secrets are stored."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ._types import UTCDateTime, utcnow


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class AuthorizationCode(db.Model):
    """Kept after use (``used_at``) so that a replayed code can be detected (RFC 6749 4.1.2)."""

    __tablename__ = "authorization_code"
    #: the nonce replay check (``OpenIDCode.exists_nonce``) runs twice per login
    __table_args__ = (Index("ix_authorization_code_school_nonce", "school_id", "nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sso_session.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(500), default="")
    nonce: Mapped[str | None] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    auth_time: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    amr: Mapped[list] = mapped_column(JSON, default=list)
    acr: Mapped[str | None] = mapped_column(String(32))
    sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    account = relationship("Account")
    school = relationship("School")

    # --- authlib AuthorizationCodeMixin ---
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())

    def get_acr(self) -> str | None:
        return self.acr

    def get_amr(self) -> list | None:
        return list(self.amr or []) or None


class Token(db.Model):
    """An access token, with its refresh token when one was issued.

    Refresh tokens rotate: a used one is marked ``rotated_at``; presenting it again revokes
    every token of its ``family_id`` (RFC 9700 4.14.2).
    """

    __tablename__ = "token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sso_session.id"), index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("authorization_code.id"), index=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(String(500), default="")
    amr: Mapped[list] = mapped_column(JSON, default=list)
    acr: Mapped[str | None] = mapped_column(String(32))
    auth_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    access_expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    refresh_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    account = relationship("Account")
    school = relationship("School")
    #: the SSO session it was issued in (``sid`` of an ID token issued on refresh)
    session = relationship("SSOSession")

    # --- authlib TokenMixin ---
    def check_client(self, client) -> bool:
        return client.id == self.school_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.access_expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return utcnow() >= self.access_expires_at

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def user(self):
        return self.account
