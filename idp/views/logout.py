"""GET/POST /logout: OpenID Connect RP-Initiated Logout 1.0, then the schools are told.

Back-Channel Logout 1.0 tokens are sent at once and in parallel (bounded wait, so a school that
is down never makes this page hang); what fails stays in the outbox for the worker. Schools
that registered a front-channel logout URI get an iframe each (Front-Channel Logout 1.0).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authlib.oauth2.base import OAuth2Error
from flask import Blueprint, current_app, g, make_response, render_template, request

from ..delivery.worker import deliver
from ..extensions import csrf
from ..login.forms import ConfirmForm
from ..oauth.logout import user_confirmed
from ..oauth.server import authorization_server, end_session_endpoint
from ..security import CSP
from ..services.logout import LogoutFanOut
from ..sessions import current_session

bp = Blueprint("logout", __name__)


def finish_logout(fan_out: LogoutFanOut | None, redirect_uri: str | None, client=None):
    """Deliver the logout tokens (waiting a few seconds at most), then answer the browser."""
    if fan_out is not None and fan_out.message_ids:
        deliver(fan_out.message_ids, wait_seconds=current_app.config["DELIVERY_HTTP_TIMEOUT"] + 0.5)
    if fan_out is None or not fan_out.frontchannel_uris:
        if redirect_uri:
            return None
        return render_template("logged_out.html", client=client)
    response = make_response(render_template(
        "logout_frontchannel.html", uris=fan_out.frontchannel_uris, next_url=redirect_uri, client=client))
    origins = sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in fan_out.frontchannel_uris})
    # FCL 3: the OP page embeds each RP's logout URI in an iframe
    response.headers["Content-Security-Policy"] = f"{CSP}; frame-src {' '.join(origins)}"
    return response


@bp.route("/logout", methods=["GET", "POST"])
@csrf.exempt  # RPs may POST here (RP-Initiated 2); our own confirmation form is checked
def end_session():
    server = authorization_server()
    try:
        req = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        # RP-Initiated 4: on errors the OP MUST NOT redirect
        return render_template("error.html", title="Logout", message=error.description), 400
    if current_session() is not None and not user_confirmed() and (
        req.needs_confirmation or not end_session_endpoint().hint_matches_session(req)
    ):
        # RP-Initiated 6: without a valid id_token_hint for this session, ask first
        return render_template("logout_confirm.html", form=ConfirmForm(), req=req,
                               params=request.values)
    response = server.create_endpoint_response("end_session", req)
    page = finish_logout(g.pop("logout_fan_out", None), req.redirect_uri, req.client)
    return page if page is not None else response
