"""OpenID Connect RP-Initiated Logout 1.0 (the end_session endpoint)."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.rpinitiated import EndSessionEndpoint as _EndSessionEndpoint
from flask import current_app
from flask import request as flask_request
from flask_wtf.csrf import ValidationError, validate_csrf

from ..extensions import db
from ..models import Account
from ..sessions import current_session, end_session


def user_confirmed() -> bool:
    """The person pressed "log out" on our own confirmation page (CSRF-checked)."""
    if flask_request.method != "POST" or "confirm" not in flask_request.form:
        return False
    try:
        validate_csrf(flask_request.form.get("csrf_token"))
    except ValidationError:
        return False
    return True


class EndSessionEndpoint(_EndSessionEndpoint):
    def get_server_jwks(self):
        return current_app.extensions["keystore"].verification_keys()

    def get_algorithms(self):
        return ["RS256", "ES256"]

    def validate_request(self, request):
        req = super().validate_request(request)
        claims = req.id_token_claims
        # RP-Initiated 2: the OP MUST validate that it was the issuer of the ID token
        if claims is not None and claims.get("iss") != current_app.config["ISSUER"]:
            raise InvalidRequestError("'id_token_hint' was not issued by this provider.")
        if req.client is None and req.redirect_uri is None and request.payload.data.get(
            "post_logout_redirect_uri"
        ):
            raise InvalidRequestError("'post_logout_redirect_uri' needs 'client_id' or 'id_token_hint'.")
        return req

    def is_post_logout_redirect_uri_legitimate(self, request, post_logout_redirect_uri, client,
                                               logout_hint):
        # RP-Initiated 3: without an id_token_hint, the person's own confirmation is our
        # "other means of confirming the legitimacy" of the (registered) redirect
        return user_confirmed()

    def hint_matches_session(self, req) -> bool:
        """True when the hint names this browser's session (its ``sid``, or an account of it)."""
        sso = current_session()
        claims = req.id_token_claims
        if sso is None or claims is None:
            return False
        if claims.get("sid"):
            return claims["sid"] == sso.sid
        account = db.session.scalar(db.select(Account).where(Account.sub == claims.get("sub")))
        return account is not None and account.person_id == sso.person_id

    def end_session(self, end_session_request):
        sso = current_session()
        if sso is not None:
            end_session(sso, reason="rp_logout")
            db.session.commit()
