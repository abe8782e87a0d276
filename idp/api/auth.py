"""RFC 6750 bearer tokens for the provisioning API: a school's client-credentials token.

The token names the school (``Token.school_id``): every query of the API is bound to it, so a
token of one school can never reach another school's accounts.
"""

from __future__ import annotations

import re
from functools import wraps

from authlib.oauth2.rfc6749.util import scope_to_list
from flask import g, request

from ..extensions import db
from ..models import School, Token
from ..models.grant import token_digest
from . import access_jwt
from .problems import Problem

REALM = "schools-api"
# RFC 6750 2.1: b64token
B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


def challenge(error: str | None = None, description: str | None = None, scope: str | None = None) -> str:
    params = [f'realm="{REALM}"']
    if error:
        params.append(f'error="{error}"')
    if description:
        params.append(f'error_description="{description}"')
    if scope:
        params.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(params)


def unauthorized(description: str | None, error: str | None = "invalid_token") -> Problem:
    return Problem(401, description or "An access token is required.", title="Unauthorized",
                   headers={"WWW-Authenticate": challenge(error, description)})


def bearer_token() -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        # RFC 6750 3.1: a request without credentials gets a challenge without an error code
        raise unauthorized(None, error=None)
    if not B64TOKEN.fullmatch(value):
        raise unauthorized("The access token is malformed.")
    return value


def _opaque_token(value: str) -> tuple[School | None, str]:
    token = db.session.scalar(db.select(Token).where(Token.access_token_digest == token_digest(value)))
    # only the school's own client-credentials tokens: none issued to a person (account_id)
    if token is None or token.account_id is not None or token.revoked_at is not None:
        raise unauthorized("The access token is not valid.")
    if token.is_expired():
        raise unauthorized("The access token has expired.")
    return db.session.get(School, token.school_id), token.scope or ""


def _jwt_token(value: str) -> tuple[School | None, str]:
    try:
        claims = access_jwt.verify(value)
    except access_jwt.InvalidAccessToken as exc:
        raise unauthorized(str(exc)) from exc
    school = db.session.scalar(db.select(School).where(School.client_id == claims["client_id"]))
    return school, claims["scope"]


def current_token(scope: str) -> None:
    """Check the request's bearer token (opaque, or an RFC 9068 JWT) and bind the API to its school."""
    value = bearer_token()
    school, granted = (_jwt_token if access_jwt.looks_like_jwt(value) else _opaque_token)(value)
    if school is None or not school.enabled:
        raise unauthorized("The access token is not valid.")
    if scope not in scope_to_list(granted):
        # RFC 6750 3.1: insufficient_scope, 403, with the scope needed
        raise Problem(403, f"The access token lacks the scope {scope}.", title="Forbidden",
                      headers={"WWW-Authenticate": challenge(
                          "insufficient_scope", f"The scope {scope} is required.", scope)})
    g.api_school = school


def requires(scope: str):
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            current_token(scope)
            return view(*args, **kwargs)
        return wrapper
    return decorator


def school() -> School:
    return g.api_school


def actor() -> str:
    return f"api:{g.api_school.client_id}"


