"""OAuth 2.0 client credentials (RFC 6749 4.4): a school's Stuudium gets a token for the
provisioning API with the school's own client id and secret, at the usual token endpoint."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidScopeError, OAuth2Error
from authlib.oauth2.rfc6749.hooks import hooked
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from flask import current_app

from . import access_jwt

API_SCOPES = ("accounts:read", "accounts:write")


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: the requested resource is not one this server issues tokens for."""
    error = "invalid_target"


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def requested_scopes(self) -> list[str]:
        return scope_to_list(self.request.payload.scope or "") or []

    def validate_requested_scope(self):
        # RFC 6749 3.3: a scope the API does not know is refused (invalid_scope); asking for
        # none means every API scope (the school's own accounts, nothing else)
        if any(scope not in API_SCOPES for scope in self.requested_scopes()):
            raise InvalidScopeError()

    def wants_jwt(self) -> bool:
        """RFC 8707: ``resource=<the API>`` asks for an RFC 9068 JWT access token."""
        resources = self.request.payload.datalist.get("resource") or []
        if not resources:
            return False
        if resources != [access_jwt.api_resource()]:
            raise InvalidTargetError(
                description=f"The only resource is {access_jwt.api_resource()}.")
        return True

    @hooked
    def create_token_response(self):
        requested = self.requested_scopes()
        scope = list_to_scope([s for s in API_SCOPES if not requested or s in requested])
        lifetime = current_app.config["ACCESS_TOKEN_LIFETIME"]
        if self.wants_jwt():
            # self-contained: nothing to store (see access_jwt for what that costs)
            token = {"access_token": access_jwt.issue(self.client.get_client_id(), scope, lifetime),
                     "token_type": "Bearer", "expires_in": lifetime, "scope": scope}
            return 200, token, self.TOKEN_RESPONSE_HEADER
        # RFC 6749 4.4.3: no refresh token; short-lived like every access token here
        token = self.generate_token(scope=None, include_refresh_token=False, expires_in=lifetime)
        token["scope"] = scope  # RFC 6749 5.1: the scope granted
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER
