"""The director's page of temporary password exceptions: ``/admin/<slug>/password-exceptions``.

"Salasõna ajutiselt lubatud" (Stuudium): a director lets a teacher or staff account of the
school log in with its password for at most a day, e.g. when the teacher's ID-card is lost.
The page opens for a live session whose person has an active director's account at the school
and, with the staff policy on, logged in with ID-card or Smart-ID; everything it names is
looked up within that school.
"""

from __future__ import annotations

import datetime as dt

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import Length, Optional

from ..extensions import db
from ..login import interactions
from ..login.forms import ConfirmForm
from ..models import Account, PasswordException, School
from ..models._types import utcnow
from ..sessions import current_session
from . import staff_policy

bp = Blueprint("password_exceptions", __name__, url_prefix="/admin/<slug>/password-exceptions")


class GrantForm(FlaskForm):
    account = IntegerField(_l("Account"), validators=[Optional()])
    hours = IntegerField(_l("For how many hours"), validators=[Optional()])
    reason = StringField(_l("Reason (kept in the audit log)"), validators=[Length(max=200)])


@bp.url_value_preprocessor
def take_slug(endpoint, values):
    g.slug = values.pop("slug")


@bp.url_defaults
def add_slug(endpoint, values):
    values.setdefault("slug", g.slug)


@bp.before_request
def require_director():
    school = db.session.scalar(db.select(School).where(School.slug == g.slug, School.enabled))
    if school is None:
        abort(404)
    sso = current_session()
    strong = sso is not None and (not staff_policy.enabled()
                                  or staff_policy.satisfies(sso.acr, "high"))
    if not strong:
        back = url_for(".page") if request.method == "POST" else request.full_path.rstrip("?")
        iid = interactions.save(school.id, return_to=back)
        return redirect(url_for("login.form", iid=iid), 303)
    director = next((a for a in sso.person.accounts if a.school_id == school.id and a.active
                     and "admin" in (a.roles or [])), None)
    if director is None:
        return render_template("eid/exceptions_forbidden.html", school=school), 403
    g.school, g.director = school, director
    return None


def eligible_accounts() -> list[Account]:
    accounts = db.session.scalars(db.select(Account).where(
        Account.school_id == g.school.id, Account.status == "active").order_by(Account.username))
    return [a for a in accounts if staff_policy.may_have_exception(a)]


def refusal_message(code: str) -> str:
    hours = current_app.config["PASSWORD_EXCEPTION_MAX_HOURS"]
    return {
        "no_such_account": _("Choose a teacher or staff account of the school."),
        "not_staff": _("Only teachers and staff need a password exception; others may use "
                       "their password anyway."),
        "director": _("A director's account never logs in with a password alone."),
        "hours": _("Choose from 1 to %(hours)s hours.", hours=hours),
        "reason": _("Write the reason in at most 200 characters."),
        "monthly_limit": _("This account has had as many password exceptions in the last 30 "
                           "days as are allowed. Ask the support of the login service."),
    }[code]


@bp.get("")
def page():
    now = utcnow()
    rows = list(db.session.scalars(db.select(PasswordException).where(
        PasswordException.school_id == g.school.id,
        PasswordException.granted_at > now - dt.timedelta(days=30))
        .order_by(PasswordException.granted_at.desc())))
    form = GrantForm(hours=current_app.config["PASSWORD_EXCEPTION_MAX_HOURS"])
    return render_template("eid/exceptions.html", school=g.school, form=form, now=now,
                           rows=rows, accounts=eligible_accounts(), revoke_form=ConfirmForm(),
                           enabled=staff_policy.enabled(),
                           max_hours=current_app.config["PASSWORD_EXCEPTION_MAX_HOURS"])


@bp.post("")
def grant():
    form = GrantForm()
    form.validate()  # CSRF was checked before the view; a field that is not a number is None
    account = db.session.scalar(db.select(Account).where(
        Account.id == form.account.data, Account.school_id == g.school.id))
    try:
        if account is None:
            raise staff_policy.ExceptionRefused("no_such_account")
        row = staff_policy.grant_exception(g.director, account, hours=form.hours.data or 0,
                                           reason=(form.reason.data or "").strip())
    except staff_policy.ExceptionRefused as refused:
        flash(refusal_message(refused.code), "error")
        return redirect(url_for(".page"), 303)
    flash(_("%(username)s may log in with a password until %(until)s.",
            username=account.username, until=local_time(row.expires_at)), "info")
    return redirect(url_for(".page"), 303)


@bp.post("/<int:exception_id>/revoke")
def revoke(exception_id: int):
    row = db.session.scalar(db.select(PasswordException).where(
        PasswordException.id == exception_id, PasswordException.school_id == g.school.id))
    if row is None:
        abort(404)
    staff_policy.revoke_exception(g.director, row)
    flash(_("The password exception of %(username)s has ended.", username=row.account.username),
          "info")
    return redirect(url_for(".page"), 303)


def local_time(value: dt.datetime) -> str:
    """Estonian time for people (Europe/Tallinn)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    try:
        value = value.astimezone(ZoneInfo("Europe/Tallinn"))
    except ZoneInfoNotFoundError:  # a system without time zone data: say UTC
        return value.strftime("%d.%m.%Y %H:%M UTC")
    return value.strftime("%d.%m.%Y %H:%M")


@bp.app_template_filter("tallinn_time")
def tallinn_time(value: dt.datetime) -> str:
    return local_time(value)
