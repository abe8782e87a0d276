"""RFC 9068 JWT access tokens for the provisioning API, asked for with RFC 8707's ``resource``.

A school's Stuudium that sends ``resource=<issuer>/api/v1`` with its client-credentials request
gets a signed JWT (``typ: at+jwt``) instead of an opaque token: issuing one writes nothing to the
database and checking one at the API reads only the school. The price is the usual one for
self-contained tokens: a JWT access token cannot be revoked one by one (RFC 7009 answers 200 and
it lives until ``exp``, ``ACCESS_TOKEN_LIFETIME``); disabling the school stops all of them at once,
because the API checks the school on every request.
"""

from __future__ import annotations

import secrets
import time

from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError

from ..oauth.oidc import keystore, sign_jwt

#: RFC 9068 §2.1: the ``typ`` header of a JWT access token (and its long media-type form).
TYP = "at+jwt"
_TYPES = (TYP, "application/at+jwt")
ALGORITHMS = ["RS256", "ES256"]


def api_resource() -> str:
    """The API's resource indicator (RFC 8707 §2): the absolute URI of ``/api/v1``."""
    return current_app.config["ISSUER"].rstrip("/") + "/api/v1"


def looks_like_jwt(token: str) -> bool:
    """Opaque tokens are base64url without dots; a JWS compact serialization has two."""
    return token.count(".") == 2


def issue(client_id: str, scope: str, lifetime: int) -> str:
    """A JWT access token for ``client_id`` (RFC 9068 §2.2: ``sub`` is the client, no person)."""
    now = int(time.time())
    return sign_jwt({
        "iss": current_app.config["ISSUER"],
        "sub": client_id,
        "aud": api_resource(),
        "client_id": client_id,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(16),
        "scope": scope,
    }, typ=TYP)


class InvalidAccessToken(Exception):
    """The token is not a valid JWT access token for this API; ``str()`` says why."""


def verify(token: str) -> dict:
    """The claims of a valid JWT access token for this API (RFC 9068 §4).

    :raises InvalidAccessToken: anything else: a bad signature, another ``typ`` (an ID or logout
        token), another issuer or audience, no ``client_id``, or an expired token.
    """
    try:
        decoded = jwt.decode(token, keystore().verification_keys(), algorithms=ALGORITHMS)
    except (JoseError, ValueError) as exc:
        raise InvalidAccessToken("The access token is not valid.") from exc
    typ = decoded.header.get("typ")
    # §4 step 1: explicit typing keeps an ID token or logout token from passing as access token
    if not isinstance(typ, str) or typ.lower() not in _TYPES:
        raise InvalidAccessToken("The access token is not valid.")
    claims = decoded.claims
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    client_id = claims.get("client_id")
    exp, iat = claims.get("exp"), claims.get("iat")
    if (claims.get("iss") != current_app.config["ISSUER"] or api_resource() not in audiences
            or not isinstance(client_id, str) or claims.get("sub") != client_id
            or not _is_time(exp) or not _is_time(iat) or not isinstance(claims.get("scope"), str)):
        raise InvalidAccessToken("The access token is not valid.")
    if exp <= time.time():
        raise InvalidAccessToken("The access token has expired.")
    return claims


def _is_time(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
