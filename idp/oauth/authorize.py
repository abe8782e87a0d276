"""Authorization endpoint decisions (OIDC Core 3.1.2): who is asking, and must they log in?"""

from __future__ import annotations

import time
from dataclasses import dataclass

from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oidc.core.errors import LoginRequiredError
from flask import current_app
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError

from ..errors import InvalidClientRequest
from ..extensions import db
from ..models import Account, School, SSOSession
from ..sessions import account_at

#: Parameters that must not be repeated (RFC 6749 3.1 and OIDC Core 3.1.2.1)
SINGLE_VALUED = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
                 "code_challenge", "code_challenge_method", "prompt", "max_age", "id_token_hint",
                 "login_hint", "ui_locales")


def check_client(values) -> School:
    """The school and redirect URI must be known before anything may redirect (RFC 6749 4.1.2.1)."""
    for name in ("client_id", "redirect_uri"):
        if len(values.getlist(name)) > 1:
            raise InvalidClientRequest(_("The link contains '%(name)s' more than once.", name=name))
    client_id = values.get("client_id")
    if not client_id:
        raise InvalidClientRequest(_("The link does not say which school is asking (client_id is missing)."))
    school = db.session.scalar(db.select(School).where(School.client_id == client_id))
    if school is None or not school.enabled:
        raise InvalidClientRequest(_("This school is not registered with the login service."),
                                   detail=f"unknown client_id {client_id!r}")
    redirect_uri = values.get("redirect_uri")
    # OIDC Core 3.1.2.1: redirect_uri is REQUIRED and MUST exactly match a registered value
    if not redirect_uri or redirect_uri not in (school.redirect_uris or []):
        raise InvalidClientRequest(_("The school's return address in this link is not registered."),
                                   detail=f"redirect_uri {redirect_uri!r} for {client_id}")
    return school


@dataclass
class Decision:
    account: Account | None
    needs_login: bool


def _max_age(values, redirect_uri: str) -> int | None:
    raw = values.get("max_age")
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise InvalidRequestError("'max_age' must be a non-negative integer.", redirect_uri=redirect_uri)
    return int(raw)


def hint_subject(values, redirect_uri: str) -> str | None:
    """The ``sub`` of a valid ``id_token_hint`` issued by us (expired ones are accepted)."""
    hint = values.get("id_token_hint")
    if not hint:
        return None
    try:
        token = jwt.decode(hint, current_app.extensions["keystore"].verification_keys(),
                           algorithms=["RS256", "ES256"])
    except (JoseError, ValueError) as exc:
        raise InvalidRequestError("Invalid 'id_token_hint'.", redirect_uri=redirect_uri) from exc
    if token.claims.get("iss") != current_app.config["ISSUER"]:
        raise InvalidRequestError("Invalid 'id_token_hint'.", redirect_uri=redirect_uri)
    return token.claims.get("sub")


def decide(school: School, values, sso: SSOSession | None, fresh: bool) -> Decision:
    """Whether the live session may answer this request without showing the login page.

    ``fresh`` is true when the person has just logged in for this very request.
    """
    redirect_uri = values["redirect_uri"]
    for name in SINGLE_VALUED:
        if len(values.getlist(name)) > 1:
            raise InvalidRequestError(f"Multiple '{name}' in request.", redirect_uri=redirect_uri)
    # OIDC Core 6.1/6.2: request objects are not supported
    for name, code in (("request", "request_not_supported"), ("request_uri", "request_uri_not_supported")):
        if values.get(name):
            raise InvalidRequestError(f"'{name}' is not supported.", redirect_uri=redirect_uri,
                                      error=code)
    prompts = (values.get("prompt") or "").split()
    max_age = _max_age(values, redirect_uri)
    hinted_sub = hint_subject(values, redirect_uri)
    account = account_at(sso, school.id) if sso is not None else None
    needs_login = account is None
    if account is not None and not fresh:
        # OIDC Core 3.1.2.1 prompt=login: re-authenticate even with a live session
        if "login" in prompts:
            needs_login = True
        # max_age: the last authentication must be recent enough
        if max_age is not None and time.time() - sso.auth_time.timestamp() > max_age:
            needs_login = True
    if account is not None and hinted_sub is not None and hinted_sub != account.sub:
        # id_token_hint names someone else than the logged-in person
        if "none" in prompts:
            raise LoginRequiredError(redirect_uri=redirect_uri)
        needs_login = True
    return Decision(account=None if needs_login else account, needs_login=needs_login)
