"""GET/POST /authorize (OIDC Core 3.1.2)."""

from __future__ import annotations

from authlib.oauth2.base import OAuth2Error
from flask import Blueprint, g, redirect, request, session, url_for

from ..extensions import csrf
from ..login import interactions
from ..oauth.authorize import check_client, decide
from ..oauth.server import authorization_server
from ..sessions import current_session

bp = Blueprint("authorize", __name__)


def error_redirect(error: OAuth2Error):
    server = authorization_server()
    error.state = request.values.get("state")
    response = server.handle_error_response(None, error)
    server.execute_hook("after_create_authorization_response", response)  # RFC 9207 iss
    return response


def remember_locale() -> None:
    for tag in (request.values.get("ui_locales") or "").split():
        lang = tag.split("-")[0].lower()
        if lang in ("et", "en"):
            session["lang"] = lang
            return


@bp.route("/authorize", methods=["GET", "POST"])
@csrf.exempt
def authorize():
    values = request.values
    school = check_client(values)
    sso = current_session()
    pending = interactions.pop(values.get("interaction"))
    fresh = pending is not None and sso is not None and sso.auth_time.timestamp() >= int(pending["created"])
    server = authorization_server()
    try:
        decision = decide(school, values, sso, fresh)
        grant = server.get_consent_grant(end_user=decision.account)
    except OAuth2Error as error:
        return error_redirect(error)
    remember_locale()
    if decision.needs_login:
        # the hint has done its work (decide() checked it); it is ~1 kB and the pending login
        # lives in the UI cookie, so it is not kept for the return trip
        params = {k: v for k, v in values.items() if k not in ("interaction", "id_token_hint")}
        iid = interactions.save(school.id, params=params)
        return redirect(url_for("login.form", iid=iid))
    g.sso_session = sso
    return server.create_authorization_response(grant_user=decision.account, grant=grant)
