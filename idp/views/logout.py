"""GET/POST /logout: OpenID Connect RP-Initiated Logout 1.0."""

from __future__ import annotations

from authlib.oauth2.base import OAuth2Error
from flask import Blueprint, render_template, request

from ..extensions import csrf
from ..login.forms import ConfirmForm
from ..oauth.logout import user_confirmed
from ..oauth.server import authorization_server
from ..sessions import current_session

bp = Blueprint("logout", __name__)


@bp.route("/logout", methods=["GET", "POST"])
@csrf.exempt  # RPs may POST here (RP-Initiated 2); our own confirmation form is checked
def end_session():
    server = authorization_server()
    try:
        req = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        # RP-Initiated 4: on errors the OP MUST NOT redirect
        return render_template("error.html", title="Logout", message=error.description), 400
    endpoint = server._endpoints["end_session"][0]
    if current_session() is not None and not user_confirmed() and (
        req.needs_confirmation or not endpoint.hint_matches_session(req)
    ):
        # RP-Initiated 6: without a valid id_token_hint for this session, ask first
        return render_template("logout_confirm.html", form=ConfirmForm(), req=req,
                               params=request.values)
    response = server.create_endpoint_response("end_session", req)
    return response or render_template("logged_out.html", client=req.client)
