"""The director's pages: pending account requests of their school, and the decisions.

Access is the admin area's rule (``idp.admin.access``): a live SSO session whose person has an
active account with the ``admin`` role at the school in the address; otherwise the school's
login page (no session) or "no access" (403). Every request and account is looked up within
that school, so another school's ids answer 404.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..admin.access import Director, director_account
from ..extensions import db
from ..login import interactions
from ..models import Account, AccountRequest, School
from ..roster.messages import MESSAGES, render
from ..sessions import current_session
from . import review as bp
from . import service
from .forms import ApproveForm, AttachForm, RejectForm

DECIDED = ("approved", "rejected")


@bp.before_request
def require_director():
    slug = (request.view_args or {}).get("slug")
    school = db.session.scalar(db.select(School).where(School.slug == slug)) if slug else None
    if school is None or not school.enabled:
        abort(404)
    sso = current_session()
    if sso is None:
        back = request.full_path if request.method == "GET" else url_for(".requests", slug=slug)
        iid = interactions.save(school.id, return_to=back.rstrip("?"))
        return redirect(url_for("login.form", iid=iid), 303)
    account = director_account(sso.person, school.id)
    if account is None:
        return render_template("admin/forbidden.html", school=school), 403
    g.director = Director(school, account)
    return None


def school_request(request_id: int) -> AccountRequest:
    """A request of the director's school that reached it (confirmed), or 404."""
    row = db.session.scalar(db.select(AccountRequest).where(
        AccountRequest.id == request_id, AccountRequest.school_id == g.director.school.id,
        AccountRequest.status != "unconfirmed"))
    if row is None:
        abort(404)
    return row


def decision_message(error: service.DecisionError) -> str:
    params = error.params
    if error.code == "request_decided":
        return _("This request has been decided already.")
    if error.code == "request_isikukood_taken":
        return _("An account of this school has this personal identification code already "
                 "(%(username)s): add the e-mail address to that account instead.", **params)
    if error.code == "request_isikukood_differs":
        return _("The account %(username)s has another personal identification code.", **params)
    if error.code == "request_account_disabled":
        return _("The account %(username)s is disabled: enable it first.", **params)
    if error.code in MESSAGES:
        return render(error.code, params)
    return _("The request could not be decided.")


@bp.route("/<slug>/requests")
def requests(slug: str):
    decided = request.args.get("show") == "decided"
    query = db.select(AccountRequest).where(AccountRequest.school_id == g.director.school.id)
    if decided:
        query = query.where(AccountRequest.status.in_(DECIDED)).order_by(
            AccountRequest.decided_at.desc()).limit(200)
    else:
        query = query.where(AccountRequest.status == "pending").order_by(AccountRequest.confirmed_at)
    rows = list(db.session.scalars(query))
    return render_template("account_requests/review_list.html", rows=rows, decided=decided)


def detail_page(row: AccountRequest, *, approve: ApproveForm | None = None,
                reject: RejectForm | None = None, status: int = 200):
    approve = approve or ApproveForm(formdata=None, username=service.suggest_username(row),
                                     roles=[row.role] if row.role in ("parent", "student", "teacher") else [])
    reject = reject or RejectForm(formdata=None)
    matches = service.likely_accounts(row) if row.status == "pending" else []
    return render_template("account_requests/review_detail.html", row=row, matches=matches,
                           approve=approve, reject=reject, attach=AttachForm(formdata=None)), status


@bp.route("/<slug>/requests/<int:request_id>")
def detail(slug: str, request_id: int):
    return detail_page(school_request(request_id))


def to_list(message: str):
    flash(message, "info")
    return redirect(url_for(".requests", slug=g.director.school.slug), 303)


def refused(row: AccountRequest, message: str):
    flash(message, "error")
    return redirect(url_for(".detail", slug=g.director.school.slug, request_id=row.id), 303)


@bp.route("/<slug>/requests/<int:request_id>/approve", methods=["POST"])
def approve(slug: str, request_id: int):
    """Approve as a new account of the school."""
    row = school_request(request_id)
    form = ApproveForm()
    values = form.checked()
    if values is None:
        return detail_page(row, approve=form, status=422)
    try:
        account = service.approve_new(row, username=values["username"], roles=values["roles"],
                                      actor=g.director.actor)
    except service.DecisionError as error:
        db.session.rollback()
        if error.code == "username_taken":
            form.username.errors = [decision_message(error)]
            return detail_page(row, approve=form, status=422)
        return refused(row, decision_message(error))
    return to_list(_("Approved: account %(username)s created. %(name)s has been sent the login "
                     "information.", username=account.username, name=row.name))


@bp.route("/<slug>/requests/<int:request_id>/attach", methods=["POST"])
def attach(slug: str, request_id: int):
    """Approve by adding the address (and code) to an existing account of the school."""
    row = school_request(request_id)
    form = AttachForm()
    account = db.session.scalar(db.select(Account).where(
        Account.id == (form.account_id.data or 0), Account.school_id == g.director.school.id))
    if account is None:
        abort(404)
    try:
        service.approve_attach(row, account, actor=g.director.actor)
    except service.DecisionError as error:
        db.session.rollback()
        return refused(row, decision_message(error))
    return to_list(_("Approved: the e-mail address was added to the account %(username)s. "
                     "%(name)s has been sent the login information.",
                     username=account.username, name=row.name))


@bp.route("/<slug>/requests/<int:request_id>/reject", methods=["POST"])
def reject(slug: str, request_id: int):
    row = school_request(request_id)
    form = RejectForm()
    values = form.checked()
    if values is None:
        return detail_page(row, reject=form, status=422)
    try:
        service.reject(row, reason=values["reason"], actor=g.director.actor)
    except service.DecisionError as error:
        db.session.rollback()
        return refused(row, decision_message(error))
    return to_list(_("Rejected. %(name)s has been sent the reason.", name=row.name))
