"""Interop: a school built on pyoidc (``oic``) logs in, refreshes, then logs out.

pyoidc keeps the newest ID token of a grant for ``id_token_hint``: a refresh response without
one left it unable to log out ("No valid id token available"). OIDC Core 12.2 says what the new
ID token must be; pyoidc checks it as it checks the first one (signature by the JWKS, ``iss``,
``aud``), and the IdP accepts it as the hint of RP-initiated logout.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from oic import rndstr
from oic.oic import Client
from oic.oic.message import AuthorizationResponse, RegistrationResponse
from oic.utils.authn.client import CLIENT_AUTHN_METHOD

from tests.interop.conftest import PASSWORD, POST_LOGOUT_URI, REDIRECT_URI, SECRET

pytestmark = pytest.mark.interop


def pyoidc_school(issuer: str) -> Client:
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD,
                    config={"code_challenge": {"method": "S256", "length": 64}})
    client.provider_config(issuer)
    client.store_registration_info(RegistrationResponse(
        client_id="interop", client_secret=SECRET, redirect_uris=[REDIRECT_URI],
        post_logout_redirect_uris=[POST_LOGOUT_URI]))
    client.redirect_uris = [REDIRECT_URI]
    return client


def browser_login(browser: requests.Session, url: str) -> str:
    """Follow the IdP's redirects like a browser, fill in the login form; returns the
    redirect to the school (``REDIRECT_URI?code=...``)."""
    response = browser.get(url, allow_redirects=False)
    while response.status_code in (302, 303):
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(REDIRECT_URI):
            return location
        response = browser.get(location, allow_redirects=False)
        if urlsplit(response.url).path.startswith("/login/") and response.status_code == 200:
            csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.text)
            assert csrf, "no CSRF token on the login page"
            response = browser.post(response.url, allow_redirects=False, data={
                "csrf_token": csrf.group(1), "username": "mari", "password": PASSWORD})
    raise AssertionError(f"the login did not come back to the school: {response.status_code}")


def test_pyoidc_logs_in_refreshes_and_logs_out_with_the_refreshed_id_token(live_idp):
    school = pyoidc_school(live_idp.url)
    browser = requests.Session()
    state, nonce = rndstr(), rndstr()
    pkce, verifier = school.add_code_challenge()
    request = school.construct_AuthorizationRequest(request_args={
        "response_type": "code", "scope": ["openid", "profile"], "state": state, "nonce": nonce,
        "redirect_uri": REDIRECT_URI, **pkce})
    back = browser_login(browser, request.request(school.authorization_endpoint))

    answer = school.parse_response(AuthorizationResponse, info=urlsplit(back).query,
                                   sformat="urlencoded")
    assert answer["state"] == state
    tokens = school.do_access_token_request(
        state=state, request_args={"code": answer["code"], "code_verifier": verifier},
        authn_method="client_secret_basic")
    first = tokens["id_token"]
    assert first["nonce"] == nonce and first["name"] == "Mari Maasikas"

    refreshed = school.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    renewed = refreshed["id_token"]  # verified by pyoidc: signature, iss, aud
    assert refreshed["access_token"] != tokens["access_token"]
    assert (renewed["sub"], renewed["auth_time"], renewed["sid"]) == \
        (first["sub"], first["auth_time"], first["sid"])
    assert "nonce" not in renewed

    logout = school.construct_EndSessionRequest(state=state, request_args={
        "post_logout_redirect_uri": POST_LOGOUT_URI, "state": rndstr()})
    assert logout["id_token_hint"] == renewed.jwt  # pyoidc sends the newest ID token
    response = browser.get(logout.request(school.end_session_endpoint), allow_redirects=False)
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].startswith(POST_LOGOUT_URI)
    # the SSO session is over: the school's refresh token no longer works
    refused = school.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    assert refused.to_dict().get("error") == "invalid_grant", refused.to_dict()
