"""OpenID Provider metadata (Discovery 1.0 §3, RFC 8414) and the JWKS."""

from flask import Blueprint, current_app, jsonify

from ..models.school import SCOPES
from ..oauth.claims import CLAIMS_SUPPORTED

bp = Blueprint("discovery", __name__)


def provider_metadata(issuer: str) -> dict:
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks.json",
        "end_session_endpoint": f"{issuer}/logout",
        "revocation_endpoint": f"{issuer}/revoke",
        "scopes_supported": [*SCOPES, "accounts:read", "accounts:write"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        # schools are first-party clients: there is no consent screen or account chooser
        "prompt_values_supported": ["none", "login"],
        "ui_locales_supported": list(current_app.config["LANGUAGES"]),
        "acr_values_supported": ["low", "high"],
        # RFC 9207 3
        "authorization_response_iss_parameter_supported": True,
        # Back-Channel Logout 1.0 2.1 and Front-Channel Logout 1.0 3
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
    }


@bp.route("/.well-known/openid-configuration")
def openid_configuration():
    response = jsonify(provider_metadata(current_app.config["ISSUER"]))
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/jwks.json")
def jwks():
    store = current_app.extensions["keystore"]
    response = jsonify(store.jwks())
    response.headers["Cache-Control"] = store.cache_control()
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
