"""Plain data carried between the steps of a login."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["LoginResult", "LoginState", "TokenSet", "pkce_pair"]

#: ID token claims that the UserInfo response may not override in :attr:`LoginResult.profile`.
_PROTOCOL_CLAIMS = frozenset(
    {"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "sid", "auth_time", "acr", "amr", "at_hash", "jti"}
)


def pkce_pair() -> tuple[str, str]:
    """Return ``(code_verifier, code_challenge)`` for PKCE S256 (RFC 7636 §4.1-4.2).

    The verifier is 64 characters of the unreserved alphabet (≈384 bits of
    entropy); the challenge is ``BASE64URL(SHA256(ASCII(code_verifier)))``.
    """
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class LoginState:
    """What must be remembered (server-side!) between the redirect and the callback."""

    state: str
    nonce: str
    code_verifier: str = field(repr=False)
    redirect_uri: str
    created_at: float
    max_age: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Serialise to a JSON-compatible dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoginState:
        """Inverse of :meth:`to_dict`; raises ``KeyError``/``TypeError`` on bad input."""
        return cls(
            state=str(data["state"]),
            nonce=str(data["nonce"]),
            code_verifier=str(data["code_verifier"]),
            redirect_uri=str(data["redirect_uri"]),
            created_at=float(data["created_at"]),
            max_age=None if data.get("max_age") is None else int(data["max_age"]),
        )


@dataclass(frozen=True)
class TokenSet:
    """Tokens from a refresh (RFC 6749 §6, OIDC Core 1.0 §12.2)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None
    id_token: str | None = field(repr=False)
    claims: dict[str, Any] | None
    scope: str | None = None


@dataclass(frozen=True)
class LoginResult:
    """A completed, verified login.

    :ivar claims: verified ID token claims.
    :ivar userinfo: UserInfo response (its ``sub`` already checked), or ``None``.
    """

    id_token: str = field(repr=False)
    claims: dict[str, Any]
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: float | None
    userinfo: dict[str, Any] | None
    scope: str | None = None

    @property
    def profile(self) -> dict[str, Any]:
        """ID token claims overlaid with the UserInfo claims (``sub`` is the same in both)."""
        merged = dict(self.claims)
        for name, value in (self.userinfo or {}).items():
            if name not in _PROTOCOL_CLAIMS:
                merged[name] = value
        return merged
