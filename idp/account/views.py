"""The IdP's profile page: the person's data and the schools that receive it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from ..extensions import db
from ..login.forms import ConfirmForm
from ..models import School
from ..services.logout import live_sessions_of, logout_sessions
from ..sessions import current_session
from ..views.logout import finish_logout

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/")
def profile():
    sso = current_session()
    if sso is None:
        return redirect(url_for(".choose_school"))
    person = sso.person
    accounts = [a for a in person.accounts if a.active]
    return render_template("account/profile.html", person=person, accounts=accounts,
                           sso=sso, form=ConfirmForm())


@bp.route("/login")
def choose_school():
    schools = db.session.scalars(db.select(School).where(School.enabled).order_by(School.name))
    return render_template("account/choose_school.html", schools=list(schools))


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out of this browser (every school that took part in this session is told)."""
    sso = current_session()
    fan_out = logout_sessions([sso] if sso is not None else [], reason="idp_logout")
    return finish_logout(fan_out, None)


@bp.route("/logout-everywhere", methods=["POST"])
def logout_everywhere():
    """ "Logi välja kõikjalt": end every SSO session of the person, on every device."""
    sso = current_session()
    if sso is None:
        return redirect(url_for(".choose_school"), 303)
    fan_out = logout_sessions(live_sessions_of(sso.person_id), reason="logout_everywhere")
    return finish_logout(fan_out, None)
