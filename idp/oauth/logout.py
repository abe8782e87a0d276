"""OpenID Connect RP-Initiated Logout 1.0 (the end_session endpoint)."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.rpinitiated import EndSessionEndpoint as _EndSessionEndpoint
from flask import current_app, g
from flask import request as flask_request
from flask_wtf.csrf import ValidationError, validate_csrf

from ..extensions import db
from ..models import Account
from ..services.logout import logout_sessions
from ..sessions import current_session


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
        uri = request.payload.data.get("post_logout_redirect_uri")
        if uri and (req.client is None or not self._is_valid_post_logout_redirect_uri(req.client, uri)):
            # RP-Initiated 3 and 4: an unregistered URI is an error; refuse the whole request
            # rather than log out and leave the person stranded on our page
            raise InvalidRequestError("'post_logout_redirect_uri' is not registered for this client.")
        return req

    def resolve_client_from_id_token_claims(self, id_token_claims):
        # Authlib resolves only a string aud; ours is a one-element list (with azp)
        aud = id_token_claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else list(aud or [])
        client_id = id_token_claims.get("azp") or (audiences[0] if len(audiences) == 1 else None)
        return self.server.query_client(client_id) if client_id in audiences else None

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
        # End the SSO session and queue a logout token for every school that took part
        # (Back-Channel Logout 1.0); the view delivers them and renders front-channel frames.
        sso = current_session()
        g.logout_fan_out = logout_sessions([sso] if sso is not None else [], reason="rp_logout")
