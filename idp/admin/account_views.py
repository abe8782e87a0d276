"""Accounts of the director's school: search, create, edit, disable/enable, guardianships."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..extensions import db
from ..roster.fields import CONTROL
from ..roster.messages import render
from ..services import accounts as service
from ..services.accounts import RuleError
from . import bp
from .access import director, school_account, school_account_named, school_guardianship
from .forms import ConfirmForm, GuardianshipForm, NewAccountForm, PersonalForm
from .queries import account_page, guardianships_of

VIA = "admin"


def to_account(account_id: int):
    return redirect(url_for(".account", slug=director().school.slug, account_id=account_id), 303)


@bp.route("/<slug>/")
def home(slug: str):
    return redirect(url_for(".accounts", slug=slug))


@bp.route("/<slug>/accounts")
def accounts(slug: str):
    q = CONTROL.sub("", request.args.get("q", ""))[:200]
    role = request.args.get("role", "")
    status = request.args.get("status", "")
    page = account_page(director().school.id, q, role, status)
    return render_template("admin/accounts.html", page=page, q=q, role=role, status=status)


@bp.route("/<slug>/accounts/new", methods=["GET", "POST"])
def new_account(slug: str):
    form = NewAccountForm()
    if not form.validate_on_submit():  # a GET (CSRF failures never reach the view)
        return render_template("admin/account_new.html", form=form)
    values = form.checked()
    if values is not None:
        taken = service.conflicts(director().school.id, username=values["username"],
                                  external_id=values["external_id"], isikukood=values["isikukood"])
        form.show(taken)
    if values is None or taken:
        return render_template("admin/account_new.html", form=form), 422
    account = service.create_account(director().school, actor=director().actor, via=VIA, **values)
    db.session.commit()
    flash(_("Account %(username)s created.", username=account.username), "info")
    return to_account(account.id)


@bp.route("/<slug>/accounts/<int:account_id>", methods=["GET", "POST"])
def account(slug: str, account_id: int):
    account = school_account(account_id)
    linked = service.is_linked(account)
    if request.method == "GET":
        return page(account, stored(account), linked)
    form = PersonalForm(roles=account.roles, external_id=account.external_id)
    form.validate_on_submit()  # CSRF was checked by CSRFProtect; the fields are checked here
    values = form.checked(("roles", "external_id") if linked else None)
    if values is not None:
        errors = service.conflicts(account.school_id, external_id=values["external_id"],
                                   isikukood=values.get("isikukood"),
                                   exclude=account.id)
        if account.id == director().account.id and "admin" not in values["roles"]:
            errors["roles"] = RuleError("own_admin_role")
        form.show(errors)
        if not errors:
            return save(account, values, linked)
    return page(account, form, linked, status=422)


def stored(account) -> PersonalForm:
    """The edit form filled with what is stored (never with another form's data)."""
    return PersonalForm(formdata=None, obj=account.person, roles=account.roles,
                        external_id=account.external_id)


def save(account, values: dict, linked: bool):
    personal = None if linked else {k: values[k] for k in
                                    ("given_name", "family_name", "email", "phone", "isikukood",
                                     "birthdate")}
    changed = service.update_account(account, actor=director().actor, via=VIA, personal=personal,
                                     roles=values["roles"], external_id=values["external_id"] or "")
    db.session.commit()
    flash(_("Changes saved.") if changed else _("Nothing was changed."), "info")
    return to_account(account.id)


def page(account, form, linked: bool, *, status: int = 200, child_form=None, guardian_form=None):
    return render_template(
        "admin/account.html", account=account, person=account.person, form=form, linked=linked,
        guardianships=guardianships_of(account), confirm=ConfirmForm(),
        child_form=child_form or GuardianshipForm(prefix="child"),
        guardian_form=guardian_form or GuardianshipForm(prefix="guardian"),
        is_self=account.id == director().account.id), status


@bp.post("/<slug>/accounts/<int:account_id>/disable")
def disable(slug: str, account_id: int):
    account = school_account(account_id)
    ConfirmForm().validate_on_submit()
    if account.id == director().account.id:
        flash(render("own_account"), "error")
    elif service.disable_account(account, actor=director().actor, via=VIA):
        db.session.commit()
        flash(_("Account %(username)s disabled: its sessions and tokens have ended.",
                username=account.username), "info")
    return to_account(account.id)


@bp.post("/<slug>/accounts/<int:account_id>/enable")
def enable(slug: str, account_id: int):
    account = school_account(account_id)
    ConfirmForm().validate_on_submit()
    if service.enable_account(account, actor=director().actor, via=VIA):
        db.session.commit()
        flash(_("Account %(username)s enabled.", username=account.username), "info")
    return to_account(account.id)


@bp.post("/<slug>/accounts/<int:account_id>/children")
def add_child(slug: str, account_id: int):
    return add_guardianship(school_account(account_id), "child")


@bp.post("/<slug>/accounts/<int:account_id>/guardians")
def add_guardian(slug: str, account_id: int):
    return add_guardianship(school_account(account_id), "guardian")


def add_guardianship(account, kind: str):
    form = GuardianshipForm(prefix=kind)
    form.validate_on_submit()
    username = (form.username.data or "").strip()[:100]
    other = school_account_named(username) if username else None
    try:
        if other is None:
            raise RuleError("no_such_account", username=username or "-")
        parent, student = (account, other) if kind == "child" else (other, account)
        _row, created = service.add_guardianship(parent, student, actor=director().actor, via=VIA)
    except RuleError as error:
        form.username.errors = [render(error.code, error.params)]
        forms = {"child_form" if kind == "child" else "guardian_form": form}
        return page(account, stored(account), service.is_linked(account), status=422, **forms)
    db.session.commit()
    flash(_("%(parent)s is a guardian of %(student)s.", parent=parent.username,
            student=student.username) if created else
          render("guardianship_exists", {"parent": parent.username, "student": student.username}),
          "info")
    return to_account(account.id)


@bp.post("/<slug>/accounts/<int:account_id>/guardianships/<int:guardianship_id>/remove")
def remove_guardianship(slug: str, account_id: int, guardianship_id: int):
    account = school_account(account_id)
    row = school_guardianship(guardianship_id, account)
    ConfirmForm().validate_on_submit()
    service.remove_guardianship(row, actor=director().actor, via=VIA)
    db.session.commit()
    flash(_("The guardianship was removed."), "info")
    return to_account(account.id)
