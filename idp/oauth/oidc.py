"""OpenID Connect Core: ID tokens signed by the keystore, for the code grant and on refresh."""

from __future__ import annotations

import time

from authlib.oidc.core.grants import OpenIDCode as _OpenIDCode
from authlib.oidc.core.grants import OpenIDToken
from authlib.oidc.core.grants.util import is_openid_scope
from flask import current_app, g
from flask import request as flask_request
from joserfc import jwt

from ..extensions import db
from ..models import AuthorizationCode, Token
from .claims import user_info


def keystore():
    return current_app.extensions["keystore"]


def sign_jwt(claims: dict, *, typ: str = "JWT", alg: str = "RS256") -> str:
    """Sign ``claims`` with the active key for ``alg``; the header names its ``kid``."""
    key = keystore().signing_key(alg)
    return jwt.encode({"alg": key.alg, "kid": key.kid, "typ": typ}, claims, key.key)


class IdTokenIssuer(OpenIDToken):
    """How every ID token is made here: RS256 with the keystore's active key, ``iss``, ``aud``
    and ``azp`` the school. Implements the Authlib 1.7+ hooks (not the deprecated
    ``get_jwt_config``)."""

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        g.id_token_key = keystore().signing_key(self.get_client_algorithm(client))
        return {"alg": g.id_token_key.alg, "kid": g.id_token_key.kid, "typ": "JWT"}

    def resolve_client_private_key(self, client):
        # get_encode_header ran first in encode_id_token: sign with that same key
        return g.id_token_key.key

    def get_client_claims(self, client):
        now = int(time.time())
        return {
            "iss": current_app.config["ISSUER"],
            "aud": [client.get_client_id()],
            "azp": client.get_client_id(),
            "iat": now,
            "exp": now + current_app.config["ID_TOKEN_LIFETIME"],
        }

    def generate_user_info(self, user, scope):
        return user_info(user, scope)


class OpenIDCode(IdTokenIssuer, _OpenIDCode):
    """The ID token of the authorization code grant (OIDC Core 3.1.3.3)."""

    def __init__(self) -> None:
        # OIDC Core 3.1.2.1: nonce is optional in the code flow; when given it is echoed.
        super().__init__(require_nonce=False)

    def exists_nonce(self, nonce, request):
        """A nonce seen before for this client is a replay (OIDC Core 15.5.2).

        Asked once, when a code is about to be issued: a request that first sends the person to
        the login page (no user yet) comes back with the same nonce, and is checked then; Authlib
        validates the request twice on the way to a code, so the answer is kept for the request.
        """
        if request.user is None:
            return False
        memo = flask_request.environ.setdefault("idp.nonces_seen", {})
        key = (request.client.id, nonce)
        if key not in memo:
            memo[key] = db.session.scalar(
                db.select(AuthorizationCode.id).where(
                    AuthorizationCode.school_id == request.client.id, AuthorizationCode.nonce == nonce
                ).limit(1)
            ) is not None
        return memo[key]

    def get_authorization_code_claims(self, authorization_code: AuthorizationCode):
        claims = super().get_authorization_code_claims(authorization_code)
        if authorization_code.sid:
            claims["sid"] = authorization_code.sid  # OIDC Front/Back-Channel Logout: session id
        return claims


class OpenIDRefresh(IdTokenIssuer):
    """A new ID token with every refresh of a grant that had the ``openid`` scope.

    OIDC Core 12.2: the same ``iss``, ``sub``, ``aud`` and ``azp``, the ``auth_time`` of the
    original authentication (with its ``amr``, ``acr`` and ``sid``), a new ``iat`` and ``exp``,
    and no ``nonce`` (a refresh is not an authentication request). An RP that keeps the newest
    ID token for ``id_token_hint`` (pyoidc does) can then still log out.
    """

    def process_token(self, grant, response):
        _, token, _ = response
        # the scope the person granted (RefreshTokenGrant read it with the refresh token)
        if is_openid_scope(grant.granted_scope):
            token["id_token"] = self.encode_id_token(token, grant.request)
        return token

    def get_compatible_claims(self, request):
        claims = super().get_compatible_claims(request)
        parent: Token = request.refresh_token
        claims.pop("auth_time", None)  # Authlib's default is "now": never claim a new login
        if parent.auth_time is not None:
            claims["auth_time"] = int(parent.auth_time.timestamp())
        if parent.acr:
            claims["acr"] = parent.acr
        if parent.amr:
            claims["amr"] = list(parent.amr)
        if parent.session is not None:
            claims["sid"] = parent.session.sid
        return claims
