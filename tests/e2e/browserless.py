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
