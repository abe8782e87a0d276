"""A school: a tenant and a confidential OIDC client at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING

from authlib.oauth2.rfc6749 import ClientMixin
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ._types import UTCDateTime, utcnow

KINDS = ("school", "gymnasium", "music_school", "kindergarten")
SCOPES = ("openid", "profile", "email", "phone", "roles", "schools", "offline_access")


def digest_secret(secret: str) -> str:
    """Client secrets are long random values: a SHA-256 digest is enough (not Argon2)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class SchoolClientMixin(ClientMixin):
    """A school as an OIDC client (Authlib's ``ClientMixin``), for the ORM row and for the
    cached snapshot (``idp.oauth.client_cache.SchoolClient``) alike."""

    if TYPE_CHECKING:  # what the methods read (declared by School's columns or the snapshot)
        id: int
        client_id: str
        client_secret_digest: str
        name: str
        logo_uri: str | None
        initiate_login_uri: str | None
        redirect_uris: Sequence[str]
        post_logout_redirect_uris: Sequence[str]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # OIDC Core 3.1.2.1: redirect_uri is REQUIRED; there is no default.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        return list_to_scope([s for s in scope_to_list(scope) if s in SCOPES])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # OIDC Core 3.1.2.1 / RFC 9700 4.1.3: exact string match against registered values
        return redirect_uri in (self.redirect_uris or [])

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(digest_secret(client_secret), self.client_secret_digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token", "client_credentials")

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris or [])}

    def to_public_dict(self) -> dict:
        """The entry of this school in the ``schools`` claim."""
        return {
            "client_id": self.client_id,
            "name": self.name,
            "logo": self.logo_uri,
            "initiate_login_uri": self.initiate_login_uri,
        }


class School(db.Model, SchoolClientMixin):
    __tablename__ = "school"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="school")
    logo_uri: Mapped[str | None] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    client_secret_digest: Mapped[str] = mapped_column(String(64))
    secret_rotated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    frontchannel_logout_uri: Mapped[str | None] = mapped_column(String(500))
    initiate_login_uri: Mapped[str | None] = mapped_column(String(500))
    events_uri: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def set_client_secret(self, secret: str) -> None:
        self.client_secret_digest = digest_secret(secret)
        self.secret_rotated_at = utcnow()
