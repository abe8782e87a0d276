"""Authorization endpoint decisions (OIDC Core 3.1.2): who is asking, and must they log in?"""

from __future__ import annotations

import time
from dataclasses import dataclass

from authlib.oauth2.rfc6749.errors import (
    InvalidRequestError,
    UnsupportedResponseTypeError,
)
from authlib.oidc.core.errors import LoginRequiredError
from flask import current_app
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError

from ..errors import InvalidClientRequest
from ..login import staff_policy
from ..models import Account, SSOSession
from ..sessions import account_at
from .client_cache import SchoolClient
from .server import query_client

#: Parameters that must not be repeated (RFC 6749 3.1 and OIDC Core 3.1.2.1)
SINGLE_VALUED = ("client_id", "redirect_uri", "response_type", "scope", "state", "nonce",
                 "code_challenge", "code_challenge_method", "prompt", "max_age", "id_token_hint",
                 "login_hint", "ui_locales")

#: Longest accepted value of a parameter. The whole request waits for the login in the UI cookie
#: (4 kB at most in browsers), and the nonce is stored in a 500-character column.
MAX_LENGTH = {None: 2048, "nonce": 500, "id_token_hint": None}  # the hint is verified instead


def check_client(values) -> SchoolClient:
    """The school and redirect URI must be known before anything may redirect (RFC 6749 4.1.2.1)."""
    for name in ("client_id", "redirect_uri"):
        if len(values.getlist(name)) > 1:
            raise InvalidClientRequest(_("The link contains '%(name)s' more than once.", name=name))
    client_id = values.get("client_id")
    if not client_id:
        raise InvalidClientRequest(_("The link does not say which school is asking (client_id is missing)."))
    school = query_client(client_id)
    if school is None:
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
    if not (raw.isascii() and raw.isdigit()):  # str.isdigit() accepts "²", which int() refuses
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


def decide(school: SchoolClient, values, sso: SSOSession | None, fresh: bool) -> Decision:
    """Whether the live session may answer this request without showing the login page.

    ``fresh`` is true when the person has just logged in for this very request.
    """
    redirect_uri = values["redirect_uri"]
    for name in SINGLE_VALUED:
        if len(values.getlist(name)) > 1:
            raise InvalidRequestError(f"Multiple '{name}' in request.", redirect_uri=redirect_uri)
    for name, value in values.items(multi=True):
        limit = MAX_LENGTH.get(name, MAX_LENGTH[None])
        if "\x00" in value:  # never meaningful, and PostgreSQL text cannot hold it
            raise InvalidRequestError("A parameter contains a NUL character.", redirect_uri=redirect_uri)
        if limit is not None and len(value) > limit:
            # (an unknown name is not quoted: error descriptions must be plain ASCII)
            shown = f"'{name}'" if name in SINGLE_VALUED else "A parameter"
            raise InvalidRequestError(f"{shown} is too long.", redirect_uri=redirect_uri)
    # RFC 6749 4.1.1: response_type is REQUIRED (Authlib would call a missing one "unsupported")
    if not values.get("response_type"):
        raise InvalidRequestError("Missing 'response_type' in request.", redirect_uri=redirect_uri)
    if values["response_type"] != "code":
        # checked here: Authlib quotes the value in its description and fails on non-ASCII
        raise UnsupportedResponseTypeError("", "Only response_type=code is supported.",
                                           redirect_uri=redirect_uri)
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
        # max_age: the last authentication must be recent enough (max_age=0 is prompt=login)
        if max_age is not None and (max_age == 0 or time.time() - sso.auth_time.timestamp() > max_age):
            needs_login = True
    # OIDC Core 3.1.2.1 acr_values, and the staff policy: a staff account at this school needs
    # ID-card or Smart-ID (unless its director allowed a password for now)
    required = staff_policy.required_level(account, values.get("acr_values"))
    if account is not None and not staff_policy.satisfies(sso.acr, required):
        needs_login = True
    # (after a fresh login the person has chosen who they are: the hint no longer decides)
    if account is not None and not fresh and hinted_sub is not None and hinted_sub != account.sub:
        # id_token_hint names someone else than the logged-in person
        if "none" in prompts:
            raise LoginRequiredError(redirect_uri=redirect_uri)
        needs_login = True
    return Decision(account=None if needs_login else account, needs_login=needs_login)
