"""The public pages: "Ava kasutajakonto", the request form, and the confirmation link."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, url_for

from ..extensions import limiter
from ..i18n import select_locale
from ..login import eid_store
from ..recovery.links import back_to_login, latest_pending
from ..recovery.views import school_or_404, too_many
from . import bot, service
from . import public as bp
from .forms import RequestForm

bp.register_error_handler(429, too_many)


@bp.route("/account-request/<slug>")
def open_account(slug: str):
    """ "Ava kasutajakonto": the ways to an account, and the way to request one."""
    school = school_or_404(slug)
    iid = latest_pending(school)
    return render_template("account_requests/open.html", school=school, iid=iid,
                           login_page=back_to_login(school, iid))


@bp.route("/account-request/<slug>/new", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ACCOUNT_REQUEST_ADDRESS_LIMIT"], methods=["POST"])
def new(slug: str):
    """ "esita andmed ja taotle kontot": the request form."""
    school = school_or_404(slug)
    iid = latest_pending(school)
    form = RequestForm()
    identity = eid_store.verified_identity(school.id, request.values.get("eid"))
    if identity is not None:  # proven by ID-card or Smart-ID: shown fixed, taken from the proof
        for name in ("given_name", "family_name", "isikukood"):
            getattr(form, name).data = getattr(identity, name)
            getattr(form, name).render_kw = {**(getattr(form, name).render_kw or {}), "readonly": True}
    status = 200
    if form.validate_on_submit():
        if form.website.data:  # the robots' trap: the usual answer, nothing done
            return redirect(url_for(".sent", slug=school.slug), 303)
        if bot.filled_too_fast(form.started.data, school.id):
            form.form_errors.append("too_fast")
            status = 422
        else:
            values = form.checked()
            if values is not None and identity is not None:
                values.update(given_name=identity.given_name, family_name=identity.family_name,
                              isikukood=identity.isikukood, eid_method=identity.method,
                              eid_verified_at=identity.verified_at)
            if values is not None:
                service.submit(school, values, address=request.remote_addr, lang=select_locale())
                return redirect(url_for(".sent", slug=school.slug), 303)
            status = 422
    elif request.method == "POST":
        status = 422  # the CSRF token is checked before the view; nothing else fails here
    form.started.data = bot.stamp(school.id)
    return render_template("account_requests/new.html", form=form, school=school, iid=iid,
                           identity=identity,
                           login_page=back_to_login(school, iid)), status


@bp.route("/account-request/<slug>/sent")
def sent(slug: str):
    school = school_or_404(slug)
    return render_template("account_requests/sent.html", school=school,
                           days=current_app.config["ACCOUNT_REQUEST_CONFIRM_LIFETIME"] // 86400)


@bp.route("/account-request-confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """The e-mailed link: shows the request; the button sends it to the school. (A GET changes
    nothing: mail scanners open links.)"""
    found = service.find_by_link(token)
    if found.state in ("unknown", "expired"):
        status = 404 if found.state == "unknown" else 410
        return render_template("account_requests/dead_link.html", state=found.state,
                               school=found.request.school if found.request else None), status
    row = found.request
    if found.state == "done":
        return render_template("account_requests/confirmed.html", row=row, school=row.school)
    from ..login.forms import ConfirmForm
    form = ConfirmForm()
    if form.validate_on_submit():
        service.confirm(row)
        return redirect(url_for(".confirmed", token=token), 303)
    return render_template("account_requests/confirm.html", row=row, school=row.school, form=form)


@bp.route("/account-request-confirm/<token>/done")
def confirmed(token: str):
    found = service.find_by_link(token)
    if found.state != "done":
        return redirect(url_for(".confirm", token=token), 303)
    return render_template("account_requests/confirmed.html", row=found.request,
                           school=found.request.school)
