"""Drive the stack like a browser would, with requests (cookies per host, redirects followed)."""

from __future__ import annotations

import re

import requests


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def login_at_school(browser: requests.Session, school_url: str, username: str, password: str) -> requests.Response:
    """Click "Logi sisse" at the school, fill in the IdP's form, land back at the school."""
    page = browser.get(f"{school_url}/oidc/login", timeout=10)
    assert "/login/" in page.url, page.url  # the IdP's login page
    return browser.post(page.url, data={"csrf_token": csrf_token(page.text), "username": username,
                                        "password": password}, timeout=10)


def code_flow(browser: requests.Session, idp_url: str, school: dict, username: str, password: str) -> dict:
    """A school's back end doing the code flow by hand; returns the token response."""
    import base64
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlsplit

    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": school["client_id"],
              "redirect_uri": school["redirect_uri"], "scope": "openid profile", "state": "s",
              "nonce": secrets.token_urlsafe(8), "code_challenge": challenge,
              "code_challenge_method": "S256"}
    response = browser.get(f"{idp_url}/authorize", params=params, allow_redirects=False, timeout=10)
    location = response.headers["Location"]
    if "/login/" in location:
        page = browser.get(f"{idp_url}{location}", timeout=10)
        posted = browser.post(page.url, data={"csrf_token": csrf_token(page.text), "username": username,
                                              "password": password}, allow_redirects=False, timeout=10)
        response = browser.get(f"{idp_url}{posted.headers['Location']}", allow_redirects=False, timeout=10)
        location = response.headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    tokens = requests.post(f"{idp_url}/token", auth=(school["client_id"], school["secret"]), timeout=10,
                           data={"grant_type": "authorization_code", "code": code,
                                 "redirect_uri": school["redirect_uri"], "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    return tokens.json()
