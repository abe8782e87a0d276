"""After an eID login: set a password of your own and complete your profile (the seed: "and then,
if you wish, set a password of your own and complete the other profile data").

A new e-mail address counts only once its owner has opened the link sent to it: until then it
waits in ``email_confirmation`` and the profile keeps the old one. Guardians use the same
confirmation for a child's address (``idp.account.children``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import Length

from ..delivery.mail import queue_email
from ..extensions import db
from ..login.forms import ConfirmForm
from ..models import EmailConfirmation, Person, SSOSession
from ..models._types import utcnow
from ..models.audit import audit
from ..roster import fields
from ..services.logout import live_sessions_of, logout_sessions
from ..sessions import current_session
from . import password_policy
from .passwords import check_password, set_password

bp = Blueprint("eid_profile", __name__, url_prefix="/account")
EID_METHODS = ("idcard", "smartid")


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})
    password = PasswordField(_l("New password"), validators=[Length(max=1024)],
                             render_kw={"autocomplete": "new-password"})
    repeat = PasswordField(_l("New password again"), validators=[Length(max=1024)],
                           render_kw={"autocomplete": "new-password"})


class EmailForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[Length(max=320)],
                        render_kw={"type": "email", "autocomplete": "email",
                                   "autocapitalize": "none", "spellcheck": "false"})


def logged_in_by_eid(sso: SSOSession) -> bool:
    return any(method in EID_METHODS for method in sso.amr or [])


def password_problem(form: PasswordForm, person: Person, *, for_child: bool = False) -> str | None:
    """What is wrong with the new password of ``person`` (the one policy), or None."""
    password = form.password.data or ""
    return password_policy.problem(password, person, for_child=for_child) or (
        _("The two passwords are not the same.") if password != form.repeat.data else None)


def checked_email(value: str | None) -> str | None:
    try:
        return fields.email(value)
    except fields.FieldError:
        return None


# --- e-mail confirmation (own and a child's) ----------------------------------------------------

def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_email_change(person: Person, email: str, *, requested_by: Person,
                         template: str, school_id: int | None = None, **context) -> None:
    """Send a confirmation link to ``email``; the address becomes ``person``'s when it is
    opened. Earlier unused links for the person stop working. Caller commits."""
    now = utcnow()
    db.session.execute(db.update(EmailConfirmation).where(
        EmailConfirmation.person_id == person.id, EmailConfirmation.used_at.is_(None))
        .values(used_at=now))
    token = secrets.token_urlsafe(32)
    lifetime = dt.timedelta(seconds=current_app.config["EMAIL_CONFIRMATION_LIFETIME"])
    db.session.add(EmailConfirmation(token_digest=digest(token), person_id=person.id, email=email,
                                     requested_by_person_id=requested_by.id, school_id=school_id,
                                     created_at=now, expires_at=now + lifetime))
    link = current_app.config["ISSUER"] + url_for("eid_profile.confirm_email", token=token)
    queue_email(email, template, school_id=school_id, name=person.name, link=link,
                hours=int(lifetime.total_seconds() // 3600), **context)
    audit("email_change_requested", school_id=school_id, person_id=person.id,
          actor=f"person:{requested_by.id}")


def waiting_confirmation(token: str) -> EmailConfirmation | None:
    row = db.session.scalar(db.select(EmailConfirmation).where(
        EmailConfirmation.token_digest == digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def confirm(row: EmailConfirmation) -> bool:
    """Make the address the person's, verified (atomically single use); commits."""
    taken = db.session.execute(db.update(EmailConfirmation).where(
        EmailConfirmation.id == row.id, EmailConfirmation.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    if taken != 1:
        db.session.rollback()
        return False
    person = row.person
    person.email, person.email_verified = row.email, True
    person.version += 1
    audit("email_confirmed", school_id=row.school_id, person_id=person.id)
    db.session.commit()
    return True


# --- views ------------------------------------------------------------------------------------

def to_login():
    return redirect(url_for("account.choose_school"), 303)


@bp.route("/password", methods=["GET", "POST"])
def password():
    sso = current_session()
    if sso is None:
        return to_login()
    person, form = sso.person, PasswordForm()
    needs_current = bool(person.password_hash) and not logged_in_by_eid(sso)
    if not form.is_submitted():
        return render_template("eid/password.html", form=form, needs_current=needs_current,
                               person=person)
    problem = None if form.validate() else _("The form has expired. Please try again.")
    if problem is None and needs_current and not check_password(person, form.current.data or ""):
        problem = _("The current password is incorrect.")
    problem = problem or password_problem(form, person)
    if problem:
        flash(problem, "error")
        return redirect(url_for(".password"), 303)
    set_password(person, form.password.data)
    audit("password_set", person_id=person.id, actor=f"person:{person.id}", via="profile")
    others = [s for s in live_sessions_of(person.id) if s.id != sso.id]
    logout_sessions(others, reason="password_changed")  # commits
    flash(_("Your password is set. You can now log in with it at all your schools."), "info")
    return redirect(url_for("account.profile"), 303)


@bp.route("/email", methods=["GET", "POST"])
def email():
    sso = current_session()
    if sso is None:
        return to_login()
    person, form = sso.person, EmailForm()
    if not form.is_submitted():
        form.email.data = person.email
        return render_template("eid/email.html", form=form, person=person)
    address = checked_email(form.email.data) if form.validate() else None
    if address is None:
        flash(_("Enter an e-mail address such as nimi@example.ee."), "error")
        return redirect(url_for(".email"), 303)
    request_email_change(person, address, requested_by=person, template="email_confirm")
    db.session.commit()
    flash(_("We sent a link to %(email)s. Your address changes when you open it.",
            email=address), "info")
    return redirect(url_for("account.profile"), 303)


@bp.route("/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """A GET only shows a button: mail scanners that open links must not confirm anything."""
    row = waiting_confirmation(token)
    form = ConfirmForm()
    if row is None:
        return render_template("eid/email_confirm.html", row=None, form=form), 404
    if not form.is_submitted():
        return render_template("eid/email_confirm.html", row=row, form=form)
    if not form.validate() or not confirm(row):
        return redirect(url_for(".confirm_email", token=token), 303)
    flash(_("The e-mail address %(email)s is confirmed.", email=row.email), "info")
    return redirect(url_for(".email_confirmed"), 303)


@bp.get("/email/confirmed")
def email_confirmed():
    return render_template("eid/email_confirmed.html")
