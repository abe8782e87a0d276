"""The one screen that shows the protocol: every grant, extension and endpoint registered here."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749.authenticate_client import (
    authenticate_client_secret_basic,
    authenticate_client_secret_post,
)
from authlib.oauth2.rfc6749.errors import InvalidClientError
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, current_app

from ..api.grant import ClientCredentialsGrant
from ..ops.metrics import count_token
from .client_cache import SchoolClient, school_client
from .grants import AuthorizationCodeGrant, RefreshTokenGrant, save_token
from .logout import EndSessionEndpoint
from .oidc import OpenIDCode, OpenIDRefresh
from .pkce import S256CodeChallenge
from .tokens import BearerTokenValidator, RevocationEndpoint


class ConfiguredIssuer(IssuerParameter):
    def get_issuer(self) -> str:
        # RFC 9207 2: iss in every authorization response, error responses included
        return current_app.config["ISSUER"]


def query_client(client_id: str | None) -> SchoolClient | None:
    """The enabled school with this client id (a cached snapshot, see ``client_cache``)."""
    if not client_id or "\x00" in client_id:  # PostgreSQL text cannot hold NUL: a 500, not a miss
        return None
    school = school_client(client_id)
    return school if school is not None and school.enabled else None


def lenient(method):
    """A client authentication method whose every failure means "not authenticated by me": the
    server then answers one 401 invalid_client (RFC 6749 5.2). Authlib's own methods raise on a
    non-UTF-8 Basic header (a 500) and answer an unknown client_id differently (400)."""
    def authenticate(query, request):
        try:
            return method(query, request)
        except (InvalidClientError, ValueError):
            return None
    return authenticate


def counted(save):
    """``save_token`` that counts what it stored (``idp_tokens_issued_total{grant_type}``)."""
    def save_and_count(token: dict, request) -> None:
        save(token, request)
        count_token(request.payload.grant_type)
    return save_and_count


def init_oauth(app: Flask) -> None:
    """Build this app's authorization server and resource protector (``app.extensions``)."""
    authorization = AuthorizationServer()
    resource = ResourceProtector()
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", True)
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {
        "authorization_code": app.config["ACCESS_TOKEN_LIFETIME"],
        "refresh_token": app.config["ACCESS_TOKEN_LIFETIME"],
    })
    authorization.init_app(app, query_client=query_client, save_token=counted(save_token))
    authorization.register_client_auth_method("client_secret_basic", lenient(authenticate_client_secret_basic))
    authorization.register_client_auth_method("client_secret_post", lenient(authenticate_client_secret_post))
    authorization.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(), OpenIDCode()])
    # OIDC Core 12.2: a refresh of an openid grant returns a new ID token too
    authorization.register_grant(RefreshTokenGrant, [OpenIDRefresh()])
    # the schools' provisioning API (idp/api): RFC 6749 4.4 client credentials
    authorization.register_grant(ClientCredentialsGrant)
    authorization.register_endpoint(RevocationEndpoint)
    end_session = EndSessionEndpoint(authorization)
    authorization.register_endpoint(end_session)
    authorization.register_extension(ConfiguredIssuer())
    resource.register_token_validator(BearerTokenValidator())
    app.extensions["authorization"] = authorization
    app.extensions["resource_protector"] = resource
    app.extensions["end_session_endpoint"] = end_session


def authorization_server() -> AuthorizationServer:
    return current_app.extensions["authorization"]


def end_session_endpoint() -> EndSessionEndpoint:
    return current_app.extensions["end_session_endpoint"]


def resource_protector() -> ResourceProtector:
    return current_app.extensions["resource_protector"]
