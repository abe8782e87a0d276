"""Protocol assertions and small request helpers shared by the tests in ``tests/idp``.

Builds on ``tests/helpers.py`` (PKCE, the login form, the code exchange) without changing it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

from idp.extensions import db
from idp.models import Account
from tests.helpers import (
    authorize,
    csrf_token,
    exchange,
    login_and_get_tokens,
    query,
    submit_login,
)

ISSUER = "http://idp.test"
T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)  # a school-day morning for time_machine


# --- authorization endpoint -------------------------------------------------------------------

def location_params(response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.location).query, keep_blank_values=True)


def assert_error_redirect(response, school: dict, error: str, state: str | None):
    """RFC 6749 4.1.2.1 + RFC 9207 2: 302 to the registered redirect_uri with error, the exact
    state and iss; never a code."""
    assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.location.split("?")[0] == school["redirect_uri"], response.location
    params = location_params(response)
    assert params["error"] == [error], params
    assert params["iss"] == [ISSUER], params
    assert "code" not in params
    if state is None:
        assert "state" not in params
    else:
        assert params["state"] == [state]
    return params


def assert_code_redirect(response, school: dict, state: str) -> str:
    assert response.status_code == 302, response.status_code
    assert response.location.split("?")[0] == school["redirect_uri"], response.location
    params = location_params(response)
    assert "error" not in params, params
    assert params["state"] == [state] and params["iss"] == [ISSUER], params
    return params["code"][0]


def assert_error_page(response, status: int = 400):
    """An error shown to the person: HTML, the given status, never a redirect."""
    assert response.status_code == status, (response.status_code, response.location)
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and urlsplit(response.location).path.startswith("/login/")


def log_in(client, school: dict, username: str, **extra) -> dict:
    """A full code flow; returns the token response plus ``params``, ``code`` and ``verifier``."""
    return login_and_get_tokens(client, school, username, **extra)


def relogin(client, response, username: str, **kw):
    """Follow a redirect to the login page, log in, and come back to /authorize."""
    assert is_login_redirect(response), (response.status_code, response.location)
    posted = submit_login(client, response.location, username, **kw)
    assert posted.status_code == 303, posted.status_code
    return client.get(posted.location)


def logout_from_profile(client):
    """The IdP's own logout: the button on the profile page (POST /account/logout with CSRF)."""
    page = client.get("/account/")
    assert page.status_code == 200, page.status_code
    response = client.post("/account/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 200, response.status_code


# --- token endpoint -------------------------------------------------------------------------

def token_request(client, school: dict | None, data: dict, **kw):
    auth = (school["client_id"], school["secret"]) if school else None
    return client.post("/token", data=data, auth=auth, **kw)


def refresh(client, school: dict, refresh_token: str, **extra):
    return token_request(client, school, {"grant_type": "refresh_token",
                                          "refresh_token": refresh_token, **extra})


def revoke(client, school: dict | None, token: str, **extra):
    auth = (school["client_id"], school["secret"]) if school else None
    return client.post("/revoke", data={"token": token, **extra}, auth=auth)


def userinfo(client, access_token: str, method: str = "GET"):
    return client.open("/userinfo", method=method,
                       headers={"Authorization": f"Bearer {access_token}"})


def assert_oauth_error(response, status: int, error: str):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json, response.mimetype
    assert response.get_json()["error"] == error, response.get_json()
    return response.get_json()


def code_for(client, school: dict, username: str, **extra) -> tuple[str, str, dict]:
    """Log in and return (code, verifier, params) without exchanging the code."""
    response, verifier, params = authorize(client, school, username, **extra)
    return query(response.location)["code"], verifier, params


# --- ID tokens -------------------------------------------------------------------------------

def decode_id_token(app, id_token: str):
    return jwt.decode(id_token, app.extensions["keystore"].verification_keys())


def sign_id_token(app, claims: dict, *, forge: bool = False) -> str:
    """An ID token signed with the IdP's active RS256 key, or (``forge``) with a stranger's key
    that claims the IdP's ``kid``."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": ["alpha"], "iat": now, "exp": now + 600, **claims}
    with app.app_context():
        active = app.extensions["keystore"].signing_key("RS256")
    key = RSAKey.generate_key(2048, parameters={"kid": active.kid}) if forge else active.key
    return jwt.encode({"alg": "RS256", "kid": active.kid, "typ": "JWT"}, claims, key)


def half_hash(value: str) -> str:
    """OIDC Core 3.1.3.6: left half of SHA-256, base64url without padding (RS256)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


# --- world -----------------------------------------------------------------------------------

def link_account(app, world, owner: str, slug: str, username: str) -> str:
    """Give the person behind ``owner`` ("alpha/mari") an account at school ``slug`` as well
    (one person, two schools: the SSO case). Returns the new account's ``sub``."""
    from idp.services import schools as school_service
    with app.app_context():
        existing = db.session.scalar(db.select(Account).where(Account.sub == world.accounts[owner]))
        account = Account(school=school_service.get(slug), person_id=existing.person_id,
                          username=username, roles=["parent"])
        db.session.add(account)
        db.session.commit()
        world.accounts[f"{slug}/{username}"] = account.sub
        return account.sub


__all__ = ["ISSUER", "T0", "assert_code_redirect", "assert_error_page", "assert_error_redirect",
           "assert_oauth_error", "code_for", "decode_id_token", "exchange", "half_hash",
           "is_login_redirect", "link_account", "location_params", "log_in", "logout_from_profile", "refresh", "relogin",
           "revoke", "sign_id_token", "token_request", "userinfo"]
