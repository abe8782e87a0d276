"""GET/POST /userinfo (OIDC Core 5.3)."""

from flask import Blueprint, jsonify

from ..extensions import csrf
from ..oauth.claims import user_info
from ..oauth.server import resource_protector

bp = Blueprint("userinfo", __name__)


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo():
    # RFC 6750 3: errors (with WWW-Authenticate) are rendered by the OAuth2Error handler
    token = resource_protector().acquire_token("openid")
    response = jsonify(dict(user_info(token.account, token.scope)))
    response.headers["Cache-Control"] = "no-store"
    return response
