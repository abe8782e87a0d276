"""GET/POST /userinfo (OIDC Core 5.3)."""

from authlib.oauth2.rfc6749.errors import (
    MissingAuthorizationError,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6750 import InsufficientScopeError
from flask import Blueprint, Response, jsonify

from ..extensions import csrf
from ..oauth.claims import user_info
from ..oauth.server import resource_protector

bp = Blueprint("userinfo", __name__)


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    # RFC 6750 3: invalid_token (with WWW-Authenticate) is rendered by the OAuth2Error handler
    try:
        token = resource_protector().acquire_token("openid")
    except (MissingAuthorizationError, UnsupportedTokenTypeError):
        # RFC 6750 3.1: no (usable) credentials: a bare challenge without an error code
        return Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    except InsufficientScopeError as error:
        # RFC 6750 3: a token that does not enable access still gets a challenge
        return jsonify(dict(error.get_body())), 403, {
            "WWW-Authenticate": 'Bearer error="insufficient_scope", scope="openid"'}
    response = jsonify(dict(user_info(token.account, token.scope)))
    response.headers["Cache-Control"] = "no-store"
    return response
