"""The IdP's profile page: the person's data and the schools that receive it."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from ..extensions import db
from ..login.forms import ConfirmForm
from ..models import School
from ..sessions import current_session, end_session

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
    ConfirmForm().validate_on_submit() or None  # CSRF is enforced by CSRFProtect
    sso = current_session()
    if sso is not None:
        end_session(sso, reason="idp_logout")
        db.session.commit()
    return render_template("logged_out.html", client=None)
