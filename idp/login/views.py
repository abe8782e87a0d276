"""The login page of a school: username or e-mail and password."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..models import School
from ..models.audit import audit
from ..oauth.client_cache import school_by_id
from ..sessions import start_session
from . import interactions, staff_policy, throttle
from .authenticate import authenticate
from .forms import LoginForm

bp = Blueprint("login", __name__)


def continue_url(iid: str, item: dict) -> str:
    if item.get("params") is not None:
        query = urlencode({**item["params"], "interaction": iid})
        return f"{url_for('authorize.authorize')}?{query}"
    return item.get("return_to") or url_for("account.profile")


@bp.route("/login/<iid>", methods=["GET", "POST"])
def form(iid: str):
    item = interactions.get(iid)
    if item is None:
        return render_template("login_expired.html"), 400
    if item.get("link"):  # an eID proof of a linking flow: that flow's page is its form
        return redirect(url_for("linking.flow_page", flow_id=item["link"]["flow"]), 303)
    school = school_by_id(item["school_id"])
    if school is None or not school.enabled:
        abort(404)
    form = LoginForm()
    if request.method == "GET":
        hint = (item.get("params") or {}).get("login_hint")
        form.username.data = session.pop("login_name", None) or hint
        return render_template("login.html", form=form, school=school)
    if not form.validate_on_submit():
        flash(_("Enter your username or e-mail and your password."), "error")
        return redirect(url_for(".form", iid=iid), 303)
    if staff_policy.needs_eid(item):  # the school sent acr_values=high: a password is not enough
        flash(_("%(school)s asks you to log in with ID-card or Smart-ID.", school=school.name), "error")
        return redirect(url_for(".form", iid=iid), 303)
    name = form.username.data
    keys = throttle.keys_for(school.id, name, request.remote_addr)
    wait = throttle.wait_seconds(keys)
    if wait:
        flash(_("Too many failed attempts. Please wait %(minutes)s min and try again.",
                minutes=max(1, (wait + 59) // 60)), "error")
        session["login_name"] = name
        return redirect(url_for(".form", iid=iid), 303)
    account = authenticate(school.id, name, form.password.data)
    if account is None:
        throttle.record_failure(keys)
        audit("login_failed", school_id=school.id, address=request.remote_addr)
        db.session.commit()
        # one message for every failure: never tell which part was wrong
        flash(_("The username or password is incorrect."), "error")
        session["login_name"] = name
        return redirect(url_for(".form", iid=iid), 303)
    refusal = staff_policy.password_refusal(account)  # only now: it tells what the account is
    if refusal:
        audit("login_refused", school_id=school.id, person_id=account.person_id, reason="staff_eid")
        db.session.commit()
        flash(refusal, "error")
        return redirect(url_for(".form", iid=iid), 303)
    throttle.record_success(keys)
    start_session(account, amr=["pwd"], acr="low")
    audit("login", school_id=school.id, person_id=account.person_id, method="pwd")
    db.session.commit()
    session.pop("login_name", None)
    return redirect(continue_url(iid, item), 303)


@bp.route("/login/school/<slug>")
def at_school(slug: str):
    """Log in to the IdP itself (the profile page) through one school's login page."""
    school = db.session.scalar(db.select(School).where(School.slug == slug, School.enabled))
    if school is None:
        abort(404)
    iid = interactions.save(school.id, return_to=url_for("account.profile"))
    return redirect(url_for(".form", iid=iid))
