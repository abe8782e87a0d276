"""The provisioning API: a school's Stuudium keeps its roster in the IdP (``/api/v1``).

Accounts are named by the school's own external id; every query is bound to the school of the
access token (``auth.school()``). PUT is an idempotent upsert; DELETE disables.
"""

from __future__ import annotations

import base64
import binascii

from flask import current_app, jsonify, request, url_for

from ..extensions import db
from ..isikukood import birthdate as birthdate_of
from ..models import Account, Guardianship
from ..roster import fields as f
from ..roster.messages import render
from ..services import accounts as service
from . import bp
from .auth import actor, requires, school
from .openapi import document
from .problems import Problem
from .queries import account_json, accounts_json, find, page_after
from .schemas import account_input, field_error, json_body

VIA = "api"
DEFAULT_LIMIT, MAX_LIMIT = 100, 500


def path_id(value: str, *, status: int = 404) -> str:
    try:
        return f.external_id(value, required=True)
    except f.FieldError as error:
        if status == 404:
            raise Problem(404, "There is no such account.") from None
        raise Problem(422, "The external id in the path is not valid.", kind="validation",
                      errors=[{"parameter": "external_id", "code": error.code,
                               "detail": "1-100 of A-Z, a-z, 0-9 and . _ : @ -, beginning "
                                         "with a letter or a digit."}]) from None


def existing(external_id: str) -> Account:
    account = find(school().id, path_id(external_id))
    if account is None:
        raise Problem(404, "There is no such account.")
    return account


def committed(response):
    """Commit (a concurrent write of the same username or id is a 409: problems.handle_race)."""
    db.session.commit()
    return response


@bp.get("/openapi.json")
def openapi():
    response = jsonify(document(current_app.config["ISSUER"]))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/accounts")
@requires("accounts:read")
def list_accounts():
    limit = query_int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    after = decode_cursor(request.args.get("cursor"))
    accounts, more = page_after(school().id, after, limit)
    next_url = None
    if more:
        cursor = base64.urlsafe_b64encode(str(accounts[-1].id).encode()).decode().rstrip("=")
        next_url = f"{current_app.config['ISSUER']}/api/v1/accounts?limit={limit}&cursor={cursor}"
    response = jsonify(items=accounts_json(accounts), next=next_url)
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


def query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        raise Problem(400, f"{name} must be a whole number from {low} to {high}.", kind="validation",
                      errors=[{"parameter": name, "code": "range",
                               "detail": f"A whole number from {low} to {high}."}])
    return int(raw)


def decode_cursor(raw: str | None) -> int:
    if raw is None:
        return 0
    try:
        value = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        if value.isdigit() and len(value) < 19:
            return int(value)
    except (binascii.Error, ValueError):
        pass
    raise Problem(400, "The cursor is not valid: use the next link of the previous page.",
                  kind="validation", errors=[{"parameter": "cursor", "code": "cursor",
                                              "detail": "Not a cursor of this API."}])


@bp.get("/accounts/<external_id>")
@requires("accounts:read")
def get_account(external_id: str):
    return jsonify(account_json(existing(external_id)))


@bp.put("/accounts/<external_id>")
@requires("accounts:write")
def put_account(external_id: str):
    external_id = path_id(external_id, status=422)
    values, status = account_input(json_body())
    account = find(school().id, external_id)
    created = account is None
    if created:
        account = create(external_id, values)
    else:
        update(account, values)
    if status == "disabled":
        service.disable_account(account, actor=actor(), via=VIA)
    elif status == "active":
        service.enable_account(account, actor=actor(), via=VIA)
    response = jsonify(account_json(account))
    if created:
        response.status_code = 201
        response.headers["Location"] = url_for(".get_account", external_id=external_id)
    return committed(response)


def conflict(found: dict) -> None:
    if found:
        raise Problem(409, "A value belongs to another account of the school.", kind="conflict",
                      errors=[field_error(name, e.code, e.params) for name, e in found.items()])


def final_birthdate(values: dict, current_code: str | None, current_date) -> dict:
    """The birth date follows the isikukood whenever there is one (given now or stored)."""
    code = values.get("isikukood", current_code)
    if code is None:
        return values
    date = values.get("birthdate") if "birthdate" in values else None
    if date is not None and date != birthdate_of(code):
        raise Problem(422, "The account data is not valid.", kind="validation", errors=[
            field_error("birthdate", "birthdate_mismatch",
                        {"date": birthdate_of(code).strftime("%d.%m.%Y")})])
    if "isikukood" in values or "birthdate" in values or current_date != birthdate_of(code):
        values["birthdate"] = birthdate_of(code)
    return values


def create(external_id: str, values: dict) -> Account:
    conflict(service.conflicts(school().id, username=values["username"],
                               isikukood=values.get("isikukood")))
    values = final_birthdate(values, None, None)
    return service.create_account(school(), actor=actor(), via=VIA, external_id=external_id,
                                  **{k: v for k, v in values.items() if v is not None})


def update(account: Account, values: dict) -> None:
    linked = service.is_linked(account)
    conflict(service.conflicts(school().id, username=values["username"],
                               isikukood=None if linked else values.get("isikukood"),
                               exclude=account.id))
    personal = None
    if not linked:  # a person with accounts at other schools manages their own data
        person = account.person
        values = final_birthdate(values, person.isikukood, person.birthdate)
        personal = {k: values[k] for k in ("given_name", "family_name", "email", "phone",
                                           "isikukood", "birthdate") if k in values}
    # the director role is neither given nor taken away by the API
    roles = sorted(set(values["roles"]) | ({"admin"} & set(account.roles)))
    service.update_account(account, actor=actor(), via=VIA, personal=personal, roles=roles,
                           username=values["username"])


@bp.delete("/accounts/<external_id>")
@requires("accounts:write")
def delete_account(external_id: str):
    service.disable_account(existing(external_id), actor=actor(), via=VIA)
    return committed(("", 204))


@bp.post("/accounts/<external_id>/disable")
@requires("accounts:write")
def disable_account(external_id: str):
    account = existing(external_id)
    service.disable_account(account, actor=actor(), via=VIA)
    return committed(jsonify(account_json(account)))


@bp.post("/accounts/<external_id>/enable")
@requires("accounts:write")
def enable_account(external_id: str):
    account = existing(external_id)
    service.enable_account(account, actor=actor(), via=VIA)
    return committed(jsonify(account_json(account)))


@bp.put("/accounts/<external_id>/students/<student_id>")
@requires("accounts:write")
def put_guardianship(external_id: str, student_id: str):
    parent, student = existing(external_id), existing(student_id)
    try:
        _row, created = service.add_guardianship(parent, student, actor=actor(), via=VIA)
    except service.RuleError as error:
        raise Problem(409, render(error.code, error.params, translate=False), kind="conflict") from None
    body = jsonify(parent=parent.external_id, student=student.external_id)
    body.status_code = 201 if created else 200
    return committed(body)


@bp.delete("/accounts/<external_id>/students/<student_id>")
@requires("accounts:write")
def delete_guardianship(external_id: str, student_id: str):
    parent, student = existing(external_id), existing(student_id)
    row = db.session.scalar(db.select(Guardianship).where(
        Guardianship.parent_account_id == parent.id, Guardianship.student_account_id == student.id))
    if row is not None:
        service.remove_guardianship(row, actor=actor(), via=VIA)
    return committed(("", 204))
