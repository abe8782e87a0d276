""""Minu lapsed": a guardian's children across all the guardian's linked schools.

The seed: "If a student's profile has no e-mail address, a parent can add it. From the child's
profile a parent can also set a password for the child." A child is a student's account with a
guardianship from one of the logged-in person's active parent accounts at the same school, and
it is looked up that way on every request: an id in a URL or form that names anyone else (another
family's child, a child at another school, a guardianship since removed) is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from ..delivery.mail import queue_email
from ..extensions import db
from ..login import eid_profile
from ..login.eid_profile import EmailForm, PasswordForm
from ..login.passwords import set_password
from ..models import Account, EmailConfirmation, Guardianship, Person, School
from ..models._types import utcnow
from ..models.audit import audit
from ..services.logout import live_sessions_of, logout_sessions
from ..sessions import current_session

bp = Blueprint("children", __name__, url_prefix="/account/children")


@dataclass(frozen=True)
class Child:
    account: Account   # the student's account
    guardian: Account  # the logged-in person's parent account at the same school

    @property
    def person(self) -> Person:
        return self.account.person


def children_of(person: Person) -> list[Child]:
    """The person's children: one entry per (student account, parent account) guardianship,
    both active, at an enabled school, the parent account having the parent role."""
    parent, student = aliased(Account), aliased(Account)
    rows = db.session.execute(
        db.select(student, parent).select_from(Guardianship)
        .join(parent, parent.id == Guardianship.parent_account_id)
        .join(student, student.id == Guardianship.student_account_id)
        .join(School, School.id == student.school_id)
        .where(parent.person_id == person.id, parent.status == "active",
               student.status == "active", parent.school_id == student.school_id,
               School.enabled, student.person_id != person.id)
        .order_by(School.name, student.id))
    children: dict[int, Child] = {}
    for child, guardian in rows:
        if "parent" in (guardian.roles or []) and "student" in (child.roles or []):
            children.setdefault(child.id, Child(child, guardian))
    return list(children.values())


def child_or_404(person: Person, account_id: int) -> Child:
    for child in children_of(person):
        if child.account.id == account_id:
            return child
    abort(404)


def pending_email(child: Child) -> EmailConfirmation | None:
    return db.session.scalar(db.select(EmailConfirmation).where(
        EmailConfirmation.person_id == child.person.id, EmailConfirmation.used_at.is_(None),
        EmailConfirmation.expires_at > utcnow()).order_by(EmailConfirmation.id.desc()).limit(1))


@bp.app_context_processor
def helpers():
    return {"children_of": children_of}


def guardian_session():
    sso = current_session()
    if sso is None:
        abort(redirect(url_for("account.choose_school"), 303))
    return sso


@bp.get("/")
def index():
    sso = guardian_session()
    return render_template("account/children.html", children=children_of(sso.person))


@bp.get("/<int:account_id>")
def child(account_id: int):
    sso = guardian_session()
    found = child_or_404(sso.person, account_id)
    return render_template("account/children_child.html", child=found,
                           pending=pending_email(found), email_form=EmailForm(),
                           password_form=PasswordForm())


@bp.post("/<int:account_id>/email")
def set_email(account_id: int):
    sso = guardian_session()
    found = child_or_404(sso.person, account_id)
    form = EmailForm()
    address = eid_profile.checked_email(form.email.data) if form.validate() else None
    if address is None:
        flash(_("Enter an e-mail address such as nimi@example.ee."), "error")
        return redirect(url_for(".child", account_id=account_id), 303)
    eid_profile.request_email_change(
        found.person, address, requested_by=sso.person, template="child_email_confirm",
        school_id=found.account.school_id, guardian=sso.person.name,
        school=found.account.school.name)
    audit("child_email_requested", school_id=found.account.school_id,
          person_id=found.person.id, actor=found.guardian.username,
          student=found.account.username)
    db.session.commit()
    flash(_("We sent a link to %(email)s. The address is saved to %(name)s's profile when the "
            "link is opened.", email=address, name=found.person.given_name), "info")
    return redirect(url_for(".child", account_id=account_id), 303)


@bp.post("/<int:account_id>/password")
def set_child_password(account_id: int):
    sso = guardian_session()
    found = child_or_404(sso.person, account_id)
    form = PasswordForm()
    problem = (eid_profile.password_problem(form, found.person, for_child=True)
               if form.validate() else _("The form has expired. Please try again."))
    if problem:
        flash(problem, "error")
        return redirect(url_for(".child", account_id=account_id), 303)
    person = found.person
    set_password(person, form.password.data)
    audit("child_password_set", school_id=found.account.school_id, person_id=person.id,
          actor=found.guardian.username, student=found.account.username)
    if person.email and person.email_verified:
        queue_email(person.email, "child_password_set", school_id=found.account.school_id,
                    name=person.name, guardian=sso.person.name, school=found.account.school.name)
    logout_sessions(live_sessions_of(person.id), reason="password_set_by_guardian")  # commits
    flash(_("%(name)s's password is set. Tell it to %(name)s, who can log in with the username "
            "%(username)s.", name=person.given_name, username=found.account.username), "info")
    return redirect(url_for(".child", account_id=account_id), 303)
