"""The IdP's profile page: the person's data and the schools that receive it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from ..extensions import db
from ..login.forms import ConfirmForm
from ..models import Account, School
from ..models.audit import audit
from ..roster import fields
from ..roster.messages import render
from ..services.logout import live_sessions_of, logout_sessions
from ..sessions import current_session
from ..views.logout import finish_logout

bp = Blueprint("account", __name__, url_prefix="/account")


class PhoneForm(FlaskForm):
    phone = StringField(_l("Phone"), render_kw={"type": "tel", "autocomplete": "tel"})


@bp.route("/")
def profile():
    sso = current_session()
    if sso is None:
        return redirect(url_for(".choose_school"))
    return profile_page(sso, PhoneForm(formdata=None, phone=sso.person.phone))


def profile_page(sso, phone_form: PhoneForm, status: int = 200):
    person = sso.person
    accounts = [a for a in person.accounts if a.active]
    return render_template("account/profile.html", person=person, accounts=accounts,
                           sso=sso, form=ConfirmForm(), phone_form=phone_form), status


@bp.post("/phone")
def phone():
    """The person's own phone number (the schools hear of it: profile sync). Empty erases."""
    sso = current_session()
    if sso is None:
        return redirect(url_for(".choose_school"), 303)
    form = PhoneForm()
    form.validate_on_submit()  # CSRFProtect has checked the token before this view
    try:
        value = fields.phone(form.phone.data or "")
    except fields.FieldError as error:
        form.phone.errors = [render(error.code, error.params)]  # shown at the field (WCAG 3.3.1)
        return profile_page(sso, form, 422)
    person = sso.person
    if value != person.phone:
        person.phone = value
        person.version += 1
        audit("phone_changed", school_id=db.session.get(Account, sso.login_account_id).school_id,
              person_id=person.id)
        db.session.commit()
        flash(_("Phone number saved. Your schools receive it.") if value
              else _("Phone number removed."), "info")
    return redirect(url_for(".profile"), 303)


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
