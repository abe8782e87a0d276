"""RFC 9457 problem details: the only way the provisioning API answers an error.

Every error of the blueprint is a ``Problem`` (or an HTTP error turned into one) rendered as
``application/problem+json``; texts are English (clients are programs, not people).
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from ..errors import IdpError
from ..extensions import db
from . import bp

PROBLEM_JSON = "application/problem+json"
#: the problem types of this API: name → (title, what it means); served at /api/v1/problems/<name>
TYPES = {
    "validation": ("Invalid request data",
                   "A field of the request is missing or has an invalid value; `errors` lists "
                   "each field (`pointer`) or query parameter (`parameter`) and what is wrong."),
    "malformed": ("Malformed request", "The request body is not JSON."),
    "conflict": ("Conflict with another account",
                 "The value belongs to another account of the school, or the accounts' roles "
                 "do not allow the change."),
}


class Problem(IdpError):
    """An API error: status, a type (``about:blank`` or one of ``TYPES``), what went wrong."""

    def __init__(self, status: int, detail: str, *, kind: str | None = None, title: str | None = None,
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail, status=status)
        self.kind, self.errors, self.headers = kind, errors, headers or {}
        self.title = title or (TYPES[kind][0] if kind else None)


def type_uri(kind: str) -> str:
    return f"{current_app.config['ISSUER']}/api/v1/problems/{kind}"


def respond(status: int, detail: str, *, kind=None, title=None, errors=None, headers=None):
    from werkzeug.http import HTTP_STATUS_CODES
    body = {"type": type_uri(kind) if kind else "about:blank",
            "title": title or HTTP_STATUS_CODES.get(status, "Error"),
            "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(Problem)
def handle_problem(problem: Problem):
    return respond(problem.status, problem.description, kind=problem.kind, title=problem.title,
                   errors=problem.errors, headers=problem.headers)


@bp.errorhandler(IntegrityError)
def handle_race(error: IntegrityError):
    """Another request took the same username or external id a moment earlier."""
    db.session.rollback()
    return respond(409, "Another request changed the same account at the same time; retry.",
                   kind="conflict")


@bp.errorhandler(HTTPException)
def handle_http(error: HTTPException):
    headers = {}
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return respond(error.code or 500, error.description or "", headers=headers)


@bp.route("/problems/<kind>")
def problem_type(kind: str):
    if kind not in TYPES:
        raise Problem(404, "There is no such problem type.")
    title, description = TYPES[kind]
    return jsonify(type=type_uri(kind), title=title, description=description)


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@bp.route("/", defaults={"rest": ""}, methods=ALL_METHODS)
@bp.route("/<path:rest>", methods=ALL_METHODS)
def unknown(rest: str):
    """Whatever no other route of the API took: a 404, or a 405 where the path exists."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = set()
    for method in ("GET", "POST", "PUT", "DELETE"):
        try:
            endpoint, _args = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "api.unknown":
            allowed.add(method)
    if allowed:
        allowed |= {"HEAD", "OPTIONS"} if "GET" in allowed else {"OPTIONS"}
        raise Problem(405, "The method is not allowed for this resource.",
                      headers={"Allow": ", ".join(sorted(allowed))})
    raise Problem(404, "There is no such resource.")


@bp.after_request
def no_store(response):
    # accounts are personal data: never kept by caches (the OpenAPI document says otherwise)
    response.headers.setdefault("Cache-Control", "no-store")
    return response
