"""Who may use a school's admin pages: checked before every view of the blueprint."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..login import interactions, staff_policy
from ..models import Account, Guardianship, RosterImport, School
from ..roster import fields
from ..roster.messages import render
from ..services.schools import SLUG
from ..sessions import current_session
from . import bp

#: the public id of an import in its URLs (secrets.token_urlsafe)
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@bp.context_processor
def helpers():
    return {"message": lambda problem: render(problem["code"], problem["params"])}


@dataclass
class Director:
    school: School
    account: Account

    @property
    def actor(self) -> str:
        return self.account.username


def director_account(person, school_id: int) -> Account | None:
    for account in person.accounts:
        if account.school_id == school_id and account.active and "admin" in account.roles:
            return account
    return None


@bp.before_request
def require_director():
    slug = (request.view_args or {}).get("slug")
    if slug is None or request.endpoint == "admin.static":
        return None
    school = db.session.scalar(db.select(School).where(School.slug == slug)) if SLUG.match(slug) else None
    if school is None or not school.enabled:
        abort(404)
    sso = current_session()
    if sso is None:
        back = request.full_path if request.method == "GET" else url_for(".accounts", slug=slug)
        iid = interactions.save(school.id, return_to=back.rstrip("?"))
        return redirect(url_for("login.form", iid=iid), 303)
    account = director_account(sso.person, school.id)
    if account is None:
        return render_template("admin/forbidden.html", school=school), 403
    if staff_policy.enabled() and not staff_policy.satisfies(sso.acr, "high"):
        # a director never works on a password session alone: log in again with ID-card or
        # Smart-ID (also when the session came from a password login at a linked school)
        back = request.full_path if request.method == "GET" else url_for(".accounts", slug=slug)
        iid = interactions.save(school.id, return_to=back.rstrip("?"))
        return redirect(url_for("login.form", iid=iid), 303)
    g.director = Director(school, account)
    return None


@bp.errorhandler(IntegrityError)
def changed_meanwhile(error: IntegrityError):
    """Another request took the same username or external id a moment earlier."""
    db.session.rollback()
    return render_template("error.html", title=_("Someone else changed this at the same time"),
                           message=_("Reload the page and try again.")), 409


def director() -> Director:
    return g.director


def school_account(account_id: int) -> Account:
    """An account of the director's school, or 404 (whatever school the id belongs to)."""
    account = db.session.scalar(db.select(Account).where(
        Account.id == account_id, Account.school_id == director().school.id))
    if account is None:
        abort(404)
    return account


def school_account_named(username: str) -> Account | None:
    try:
        username = fields.username(username)
    except fields.FieldError:
        return None  # not a username at all (nor anything a database should be asked about)
    return db.session.scalar(db.select(Account).where(
        Account.school_id == director().school.id, Account.username == username))


def school_guardianship(guardianship_id: int, account: Account) -> Guardianship:
    row = db.session.get(Guardianship, guardianship_id)
    if row is None or account.id not in (row.parent_account_id, row.student_account_id):
        abort(404)
    return row


def school_import(token: str) -> RosterImport:
    if not TOKEN.fullmatch(token):
        abort(404)
    item = db.session.scalar(db.select(RosterImport).where(
        RosterImport.token == token, RosterImport.school_id == director().school.id))
    if item is None:
        abort(404)
    return item


@bp.route("/")
def index():
    """The schools this person directs: straight to the only one."""
    sso = current_session()
    if sso is None:
        return redirect(url_for("account.choose_school"))
    schools = [a.school for a in sso.person.accounts
               if a.active and "admin" in a.roles and a.school.enabled]
    if len(schools) == 1:
        return redirect(url_for(".accounts", slug=schools[0].slug))
    if not schools:
        return render_template("admin/forbidden.html", school=None), 403
    return render_template("admin/choose.html", schools=schools)
