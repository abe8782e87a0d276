"""ID-card and Smart-ID on a school's login page (``/login/<iid>``).

ID-card (Web eID): the page's script POSTs for a challenge, has the browser extension sign it
with the card, and POSTs the token back (JSON, CSRF token in ``X-CSRFToken``).

Smart-ID: a form starts the login (QR code, or a notification by personal code) and answers
303 to the waiting page, which shows the QR code (a new one every second), a button that opens
the Smart-ID app on this device (Web2App), or the verification code. The page's script asks the
status endpoint until the login ends; without JavaScript a "check again" button does the same.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length

from .. import isikukood
from ..account import link_eid, linking
from ..eid.smartid import SmartIdError
from ..eid.webeid import WebEidError
from ..extensions import db, limiter
from ..models import School
from ..sessions import current_session
from . import eid_services as eid
from . import eid_store, interactions, staff_policy
from .views import continue_url

bp = Blueprint("eid", __name__)


class SmartIdStartForm(FlaskForm):
    """Empty personal code: a QR code (device link); a code: a notification to that person."""
    personal_code = StringField(validators=[Length(max=20)])


def pending_login(iid: str) -> tuple[dict, School]:
    item = interactions.get(iid)
    if item is None:
        abort(Response(render_template("login_expired.html"), 400))
    school = db.session.get(School, item["school_id"])
    if school is None or not school.enabled:
        abort(404)
    return item, school


@bp.app_context_processor
def login_options():
    def eid_login_options(school: School, iid: str | None = None) -> dict:
        iid = iid or (request.view_args or {}).get("iid")
        return {"iid": iid, "idcard": eid.idcard_available(),
                "smartid": eid.smartid_available(), "form": SmartIdStartForm(),
                "needs_eid": staff_policy.needs_eid(interactions.get(iid))}
    return {"eid_login_options": eid_login_options}


def form_url(iid: str) -> str:
    """Where this eID login was started: the school's login page, or the linking flow's page."""
    link = (interactions.get(iid) or {}).get("link")
    if link is not None:
        return url_for("linking.flow_page", flow_id=link["flow"])
    return url_for("login.form", iid=iid)


def back_to_form(iid: str, message: str) -> Response:
    flash(message, "error")
    return redirect(form_url(iid), 303)


def refused(message: str, status: int = 400) -> tuple[Response, int]:
    return jsonify(error=message), status


LINK_REFUSALS = {
    "no_account": lambda school: _(
        "%(school)s has no account with your personal identification code. Log in with the "
        "username and password of your account there, or ask the director of %(school)s to add "
        "your personal identification code.", school=school.name),
    "not_you": lambda school: _(
        "This ID-card or Smart-ID account belongs to someone else. Confirm with your own."),
}


def finish_link(iid: str, item: dict, school: School, identity) -> str:
    """An eID proof inside the linking flow: recorded there, then back to the flow's page."""
    link = item["link"]
    url = form_url(iid)
    try:
        link_eid.record(link["flow"], link["step"], current_session(), school.id, identity)
    except link_eid.ProofRefused as refusal:
        flash(LINK_REFUSALS[refusal.code](school), "error")
    except (linking.FlowError, linking.OutOfStep):
        pass  # the flow's page says what became of it (used, expired, another step)
    return url


def finish(iid: str, item: dict, school: School, identity) -> str | None:
    """The URL to go on to, or None (and a flashed reason) when the level is too low."""
    if item.get("link"):
        return finish_link(iid, item, school, identity)
    try:
        return eid.complete(iid, item, school, identity)
    except eid.LevelTooLow:
        flash(_("%(school)s asks for a login with ID-card or Smart-ID; this Smart-ID account "
                "(Smart-ID Basic) is not enough.", school=school.name), "error")
        return None


# --- ID-card -----------------------------------------------------------------------------------

@bp.post("/login/<iid>/idcard/challenge")
def idcard_challenge(iid: str):
    pending_login(iid)
    if not eid.idcard_available():
        return refused(_("ID-card login is not available here."), 404)
    return jsonify(nonce=eid.idcard_challenge())


@bp.post("/login/<iid>/idcard")
def idcard_login(iid: str):
    item, school = pending_login(iid)
    body = request.get_json(silent=True)
    origin = request.headers.get("Origin")
    try:
        identity = eid.idcard_identity(body.get("token") if isinstance(body, dict) else None,
                                       None if origin in (None, "null") else origin)
    except WebEidError as error:
        current_app.logger.info("ID-card login refused: %s", error.reason)
        return refused(eid.error_message(error))
    url = finish(iid, item, school, identity)
    return jsonify(redirect=url or form_url(iid))


# --- Smart-ID -----------------------------------------------------------------------------------

@bp.post("/login/<iid>/smartid")
@limiter.limit(lambda: current_app.config["SMARTID_START_LIMIT"])
def smartid_start(iid: str):
    _item, school = pending_login(iid)
    form = SmartIdStartForm()
    if not eid.smartid_available():
        abort(404)
    if not form.validate_on_submit():
        return back_to_form(iid, _("Enter a personal identification code of 11 digits."))
    code = (form.personal_code.data or "").strip() or None
    try:
        eid.start_smartid(school, iid, code)
    except SmartIdError as error:
        # (the error's detail may hold the request path, and so the code: log the reason only)
        current_app.logger.info("Smart-ID start refused for %s: %s", isikukood.mask(code),
                                error.reason)
        return back_to_form(iid, eid.error_message(error))
    return redirect(url_for(".smartid_page", iid=iid), 303)


@bp.get("/login/<iid>/smartid")
def smartid_page(iid: str):
    _item, school = pending_login(iid)
    row = eid_store.pending(iid)
    if row is None:
        return redirect(form_url(iid))
    auth = eid.auth_session(row)
    return render_template("eid/smartid.html", school=school, iid=iid, auth=auth,
                           web2app=eid.web2app_link(row) if auth.kind == "device_link" else None,
                           phone_url=current_app.config["SMARTID_STANDIN_PHONE_URL"]
                           if current_app.config["ENV"] != "production" else "")


@bp.get("/login/<iid>/smartid/qr.svg")
def smartid_qr(iid: str):
    pending_login(iid)
    row = eid_store.pending(iid)
    if row is None or row.data.get("kind") != "device_link":
        abort(404)
    return Response(eid.qr_svg(row), mimetype="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


def advance(iid: str) -> tuple[str, str]:
    """One step of a waiting Smart-ID login: ("running", ""), ("done", next URL) or
    ("error", message). Every refusal ends the pending login."""
    item, school = pending_login(iid)
    row = eid_store.pending(iid)
    if row is None:  # ended in another tab (the Web2App return), or expired
        link = item.get("link")
        if link is not None:  # a proof changes the flow, not the session
            if link_eid.recorded(link["flow"], link["step"], current_session()):
                return "done", form_url(iid)
            return "error", eid.error_message(SmartIdError("session_not_found"))
        sso = current_session()
        if sso is not None and sso.auth_time.timestamp() >= int(item["created"]):
            return "done", continue_url(iid, item)
        return "error", eid.error_message(SmartIdError("session_not_found"))
    try:
        identity = eid.poll_smartid(row)
    except SmartIdError as error:
        current_app.logger.info("Smart-ID login ended: %s", error.reason)
        eid_store.take_pending(row)
        return "error", eid.error_message(error)
    if identity is None:
        return "running", ""
    if not eid_store.take_pending(row):
        return advance(iid)  # the other tab finished it
    url = finish(iid, item, school, identity)
    return ("done", url) if url else ("error", "")


@bp.post("/login/<iid>/smartid/status")
def smartid_status(iid: str):
    state, value = advance(iid)
    if state == "running":
        return jsonify(state="running")
    if state == "done":
        return jsonify(state="done", redirect=value)
    if value:
        flash(value, "error")
    return jsonify(state="failed", redirect=form_url(iid))


def go_on(iid: str, status: int):
    """Redirect wherever the Smart-ID login stands: waiting, done, or refused."""
    state, value = advance(iid)
    if state == "running":
        return redirect(url_for(".smartid_page", iid=iid), status)
    if state == "done":
        return redirect(value, status)
    if value:
        flash(value, "error")
    return redirect(form_url(iid), status)


@bp.post("/login/<iid>/smartid/check")
def smartid_check(iid: str):
    """The waiting page's "check again" button (without JavaScript)."""
    return go_on(iid, 303)


@bp.post("/login/<iid>/smartid/cancel")
def smartid_cancel(iid: str):
    pending_login(iid)
    row = eid_store.pending(iid)
    if row is not None:
        eid_store.take_pending(row)
    return redirect(form_url(iid), 303)


@bp.get("/login/smartid/return")
def smartid_return():
    """Where the Smart-ID app sends the person after a Web2App confirmation (a new tab of the
    same browser: the UI cookie says which login it was)."""
    row = eid_store.pending()
    if row is None:
        return render_template("login_expired.html"), 400
    try:
        eid.accept_return(row, {k: request.args.get(k, "") for k in (
            "value", "sessionSecretDigest", "userChallengeVerifier")})
    except SmartIdError as error:
        eid_store.take_pending(row)
        return back_to_form(row.iid, eid.error_message(error))
    return go_on(row.iid, 302)


# --- no account with this personal code at the school -----------------------------------------

def account_request_url(school: School, iid: str, token: str) -> str:
    """The school's "esita andmed ja taotle kontot" form (``idp.account_requests``), carrying
    the verified identity's token as ``eid``: the form reads it with
    ``eid_store.verified_identity(school.id, request.args.get("eid"))``."""
    if "account_requests.new" in current_app.view_functions:
        return url_for("account_requests.new", slug=school.slug, i=iid, eid=token)
    return f"/request-account/{school.slug}?eid={token}"


@bp.get("/login/<iid>/no-account")
def no_account(iid: str):
    _item, school = pending_login(iid)
    identity = eid_store.verified_identity(school.id)
    if identity is None:
        return redirect(form_url(iid))
    return render_template("eid/no_account.html", school=school, identity=identity, iid=iid,
                           request_url=account_request_url(school, iid, identity.token))
