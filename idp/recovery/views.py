"""Pages of "unustasid salasõna?": ask for a link, "check your e-mail", choose a password."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import db, limiter
from ..i18n import select_locale
from ..login import interactions
from ..login.password_policy import RULES, problem
from ..login.views import continue_url
from ..models import School
from ..services.accounts import AccountError
from . import bp, service, tokens
from .forms import RequestLinkForm, SetPasswordForm
from .links import back_to_login, latest_pending, pending_login, school_entry


def school_or_404(slug: str) -> School:
    school = db.session.scalar(db.select(School).where(School.slug == slug))
    if school is None or not school.enabled:
        abort(404)
    return school


def too_many(_error=None):
    """Over a per-address limit (Flask-Limiter raises 429): a page a person understands."""
    return render_template("recovery/too_many.html"), 429


bp.register_error_handler(429, too_many)


@bp.route("/recovery/<slug>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RECOVERY_ADDRESS_LIMIT"], methods=["POST"])
def start(slug: str):
    school = school_or_404(slug)
    iid = latest_pending(school)
    form = RequestLinkForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("recovery/start.html", form=form, school=school, iid=iid,
                               login_page=back_to_login(school, iid)), status
    service.request_links(school, form.name.data, interaction=iid, address=request.remote_addr,
                          lang=select_locale())
    return redirect(url_for(".sent", slug=school.slug), 303)


@bp.route("/recovery/<slug>/sent")
def sent(slug: str):
    school = school_or_404(slug)
    iid = latest_pending(school)
    return render_template("recovery/sent.html", school=school, iid=iid,
                           minutes=current_app.config["RECOVERY_LINK_LIFETIME"] // 60,
                           login_page=back_to_login(school, iid))


def dead_link(found: tokens.Found):
    school = found.token.account.school if found.token is not None else None
    status = 404 if found.state == "unknown" else 410
    return render_template("recovery/dead_link.html", state=found.state, school=school), status


@bp.route("/recovery-link/<token>", methods=["GET", "POST"])
def link(token: str):
    found = tokens.find(token)
    if not found.ok:
        return dead_link(found)
    row = found.token
    account = row.account
    form = SetPasswordForm()
    if form.validate_on_submit():
        wrong = problem(form.password.data, account.person)
        if wrong is None and form.password.data != form.repeat.data:
            form.repeat.errors = [_("The two passwords are not the same.")]
        elif wrong is not None:
            form.password.errors = [wrong]
        else:
            try:
                used = service.use_link(row, form.password.data, address=request.remote_addr)
            except AccountError:  # the shared policy refused what the rules above allowed
                db.session.rollback()
                form.password.errors = [_("This password cannot be used. Please choose another one.")]
            else:
                if not used:
                    return dead_link(tokens.Found(row, "used"))
                return redirect(onward(row), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("recovery/set_password.html", form=form, account=account,
                           school=account.school, purpose=row.purpose, rules=RULES), status


def onward(row) -> str:
    """Where the person goes once logged in: the pending login of this browser (its
    authorization request continues), else into the school's Stuudium, else a page that
    says so."""
    school = row.account.school
    if row.interaction and pending_login(row.interaction, school):
        return continue_url(row.interaction, interactions.get(row.interaction))
    return school_entry(school) or url_for(".done", slug=school.slug)


@bp.route("/recovery/<slug>/done")
def done(slug: str):
    school = school_or_404(slug)
    return render_template("recovery/done.html", school=school)
