"""The API's JSON: reading an account from a request body, writing one into a response.

The same checks as the director's forms and the roster import (``idp/roster/fields.py``), in
English, with a JSON pointer for each field (RFC 9457 ``errors``).
"""

from __future__ import annotations

import json

from flask import request

from ..models import Account
from ..roster import fields as f
from ..roster.messages import render
from .problems import Problem

PERSONAL = ("email", "phone", "isikukood", "birthdate")
MAX_BODY = 64 * 1024
REQUIRED = ("username", "given_name", "family_name", "roles")
STATUSES = ("active", "disabled")
CHECKS = {
    "username": f.username,
    "given_name": f.name,
    "family_name": f.name,
    "roles": lambda v: f.roles(v if isinstance(v, list) else None),
    "email": f.email,
    "phone": f.phone,
    "isikukood": f.isikukood,
    "birthdate": lambda v: f.birthdate(v, estonian=False),
}


def field_error(name: str, code: str, params: dict | None = None) -> dict:
    return {"pointer": f"#/{name}", "detail": render(code, params, translate=False), "code": code}


def json_body() -> dict:
    if not request.is_json:
        raise Problem(415, "Send the account as application/json.")
    if (request.content_length or 0) > MAX_BODY:
        raise Problem(413, "The request body is too large.")
    try:
        body = json.loads(request.get_data(cache=False)[:MAX_BODY + 1])
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond reason
        raise Problem(400, "The request body is not valid JSON.", kind="malformed") from None
    if not isinstance(body, dict):
        raise Problem(422, "The request body must be a JSON object.", kind="validation",
                      errors=[{"pointer": "#", "detail": "Must be an object.", "code": "type_object"}])
    return body


def account_input(body: dict) -> tuple[dict, str | None]:
    """The checked values of a PUT (absent and null optional fields are left out, except that
    a null ``email``/``isikukood``/``birthdate`` erases) and the requested status."""
    errors = [{"pointer": f"#/{name}", "detail": "This is required.", "code": "required"}
              for name in REQUIRED if body.get(name) is None]
    unknown = sorted(set(body) - set(CHECKS) - {"status"})
    errors += [{"pointer": f"#/{name}", "detail": "Unknown field.", "code": "unknown_field"}
               for name in unknown[:20]]
    given = {k: v for k, v in body.items() if k in CHECKS and v is not None}
    values, problems = f.check(given, {k: CHECKS[k] for k in given})
    errors += [field_error(name, e.code, e.params) for name, e in problems.items()
               if name in body]
    status = body.get("status")
    if status is not None and status not in STATUSES:
        errors.append({"pointer": "#/status", "detail": "Must be active or disabled.",
                       "code": "status"})
    if errors:
        raise Problem(422, "The account data is not valid.", kind="validation", errors=errors)
    for name in PERSONAL:
        if name in body and body[name] is None:
            values[name] = None
    return values, status


def account_output(account: Account, *, linked: bool, students: list, guardians: list) -> dict:
    person = account.person
    return {
        "external_id": account.external_id,
        "sub": account.sub,
        "username": account.username,
        "given_name": person.given_name,
        "family_name": person.family_name,
        "email": person.email,
        "phone": person.phone,
        "isikukood": person.isikukood,
        "birthdate": person.birthdate.isoformat() if person.birthdate else None,
        "roles": list(account.roles),
        "status": account.status,
        "linked": linked,
        "students": students,
        "guardians": guardians,
        "created_at": account.created_at.isoformat(timespec="seconds"),
    }
