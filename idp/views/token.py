"""POST /token (RFC 6749 3.2) and POST /revoke (RFC 7009)."""

from flask import Blueprint

from ..extensions import csrf
from ..oauth.server import authorization_server

bp = Blueprint("token", __name__)


@bp.route("/token", methods=["POST"])
@csrf.exempt
def token():
    return authorization_server().create_token_response()


@bp.route("/revoke", methods=["POST"])
@csrf.exempt
def revoke():
    return authorization_server().create_endpoint_response("revocation")
