"""Pages of "Seo oma konto teise kooliga" (link your account to another school) and unlinking.

Every step is a POST that answers 303 to the flow's one page, GET /account/link/<flow_id>,
which shows whatever the flow needs next: re-authentication, the school, the login there,
the confirmation, or why the link was refused. CSRFProtect checks every POST before its view.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..login import eid_services, interactions
from ..login.forms import ConfirmForm, LoginForm
from ..sessions import current_session
from . import linking

bp = Blueprint("linking", __name__, url_prefix="/account")


class SchoolForm(FlaskForm):
    school = StringField(validators=[DataRequired(), Length(max=64)])


class ReauthForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class LinkConfirmForm(FlaskForm):
    email = StringField()
    phone = StringField()


def choice_message(error: linking.ChoiceError) -> str:
    return {
        "no_school": _("Choose the school whose account you want to link."),
        "login_school": _("You are logged in through %(school)s. Choose the other school.",
                          **error.params),
        "already_linked": _("Your account at %(school)s is already linked to this profile.",
                            **error.params),
        "choose_email": _("Choose which e-mail address to keep."),
        "choose_phone": _("Choose which phone number to keep."),
    }[error.code]


def to_page(flow_id: str):
    return redirect(url_for(".flow_page", flow_id=flow_id), 303)


def flash_attempt(wait: int) -> None:
    if wait:
        flash(_("Too many failed attempts. Please wait %(minutes)s min and try again.",
                minutes=max(1, (wait + 59) // 60)), "error")
    else:
        flash(_("The username or password is incorrect."), "error")


def eid_proof_iid(school_id: int, flow, step: str) -> str | None:
    """The pending ID-card/Smart-ID login whose proof goes to this flow's step (link_eid.py),
    or None where neither is available."""
    if not (eid_services.idcard_available() or eid_services.smartid_available()):
        return None
    return interactions.for_link(school_id, flow.flow_id, step)


@bp.errorhandler(linking.FlowError)
def flow_error(error: linking.FlowError):
    return render_template("account/link_invalid.html", reason=error.reason), error.status


@bp.errorhandler(linking.TooManyFlows)
def too_many(error: linking.TooManyFlows):
    return render_template("account/link_invalid.html", reason="too_many"), 429


@bp.errorhandler(linking.OutOfStep)
def out_of_step(error: linking.OutOfStep):
    return to_page(request.view_args["flow_id"])


@bp.post("/link")
def start():
    sso = current_session()
    if sso is None:
        return redirect(url_for("account.choose_school"), 303)
    return to_page(linking.start(sso).flow_id)


@bp.get("/link/<flow_id>")
def flow_page(flow_id: str):
    sso = current_session()
    flow = linking.load(flow_id, sso)
    if flow.state == "refused":
        return render_template("account/link_refused.html", flow=flow, **flow.refusal)
    if linking.needs_reauth(flow, sso):
        account = linking.login_account(sso)
        return render_template("account/link_reauth.html", flow=flow, form=ReauthForm(),
                               person=sso.person, account=account, school=account.school,
                               eid_iid=eid_proof_iid(account.school_id, flow, "reauth")
                               if sso.person.isikukood else None)
    if flow.state == "school":
        return render_template("account/link_school.html", flow=flow, form=SchoolForm(),
                               schools=linking.eligible_schools(sso.person),
                               accounts=[a for a in sso.person.accounts if a.active])
    if flow.state == "login":
        form = LoginForm()
        form.username.data = session.pop("link_name", None)
        return render_template("account/link_login.html", flow=flow, form=form, school=flow.school,
                               eid_iid=eid_proof_iid(flow.school_id, flow, "other"))
    return render_template("account/link_confirm.html", flow=flow, form=LinkConfirmForm(),
                           view=linking.preview(flow, sso), cancel_form=ConfirmForm())


@bp.post("/link/<flow_id>/reauth")
def reauth(flow_id: str):
    sso = current_session()
    flow = linking.load(flow_id, sso, "reauth")
    form = ReauthForm()
    if not form.validate_on_submit():
        flash(_("Enter your password."), "error")
    elif (wait := linking.reauthenticate(flow, sso, form.password.data, request.remote_addr)) is not None:
        flash(_("The password is incorrect.") if not wait else _(
            "Too many failed attempts. Please wait %(minutes)s min and try again.",
            minutes=max(1, (wait + 59) // 60)), "error")
    return to_page(flow_id)


@bp.post("/link/<flow_id>/school")
def school(flow_id: str):
    sso = current_session()
    flow = linking.load(flow_id, sso, "school")
    form = SchoolForm()
    try:
        linking.choose_school(flow, sso, form.school.data if form.validate_on_submit() else "")
    except linking.ChoiceError as error:
        flash(choice_message(error), "error")
    return to_page(flow_id)


@bp.post("/link/<flow_id>/login")
def login(flow_id: str):
    sso = current_session()
    flow = linking.load(flow_id, sso, "login")
    form = LoginForm()
    if not form.validate_on_submit():
        flash(_("Enter your username or e-mail and your password."), "error")
    else:
        try:
            wait = linking.authenticate_other(flow, sso, form.username.data, form.password.data,
                                              request.remote_addr)
        except linking.PasswordNotAllowed as refusal:
            flash(str(refusal), "error")
            return to_page(flow_id)
        if wait is not None:
            flash_attempt(wait)
            session["link_name"] = form.username.data
    return to_page(flow_id)


@bp.post("/link/<flow_id>/confirm")
def confirm(flow_id: str):
    sso = current_session()
    flow = linking.load(flow_id, sso, "confirm")
    form = LinkConfirmForm()  # the choices are checked by the service
    try:
        linked = linking.confirm(flow, sso, {"email": form.email.data, "phone": form.phone.data})
    except linking.ChoiceError as error:
        flash(choice_message(error), "error")
        return to_page(flow_id)
    if linked is None:
        return to_page(flow_id)
    flash(_("Your accounts are linked. Logging in at one of your schools now logs you in at all of them."),
          "info")
    return redirect(url_for("account.profile"), 303)


@bp.post("/link/<flow_id>/cancel")
def cancel(flow_id: str):
    flow = linking.load(flow_id, current_session())
    if flow.finished_at is None:
        linking.cancel(flow)
    return redirect(url_for("account.profile"), 303)


@bp.route("/unlink/<int:account_id>", methods=["GET", "POST"])
def unlink(account_id: int):
    sso = current_session()
    if sso is None:
        return redirect(url_for("account.choose_school"), 303 if request.method == "POST" else 302)
    account = linking.linked_account(sso, account_id)
    refusal = linking.unlink_refusal(sso, account)
    if request.method == "GET" or refusal is not None:
        others = [a.school.name for a in sso.person.accounts if a.id != account.id and a.active]
        status = 409 if refusal and request.method == "POST" else 200
        return render_template("account/link_unlink.html", account=account, form=ConfirmForm(),
                               refusal=refusal, others=others), status
    linking.unlink(sso, account)
    flash(_("%(school)s is no longer linked to your other schools.", school=account.school.name),
          "info")
    return redirect(url_for("account.profile"), 303)
