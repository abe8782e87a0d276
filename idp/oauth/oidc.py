"""OpenID Connect Core on top of the code grant: ID tokens signed by the keystore."""

from __future__ import annotations

import time

from authlib.oidc.core.grants import OpenIDCode as _OpenIDCode
from flask import current_app, g
from flask import request as flask_request
from joserfc import jwt

from ..extensions import db
from ..models import AuthorizationCode
from .claims import user_info


def keystore():
    return current_app.extensions["keystore"]


def sign_jwt(claims: dict, *, typ: str = "JWT", alg: str = "RS256") -> str:
    """Sign ``claims`` with the active key for ``alg``; the header names its ``kid``."""
    key = keystore().signing_key(alg)
    return jwt.encode({"alg": key.alg, "kid": key.kid, "typ": typ}, claims, key.key)


class OpenIDCode(_OpenIDCode):
    """Implements the Authlib 1.7+ hooks (not the deprecated ``get_jwt_config``)."""

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

    def get_authorization_code_claims(self, authorization_code: AuthorizationCode):
        claims = super().get_authorization_code_claims(authorization_code)
        if authorization_code.sid:
            claims["sid"] = authorization_code.sid  # OIDC Front/Back-Channel Logout: session id
        return claims

    def generate_user_info(self, user, scope):
        return user_info(user, scope)
