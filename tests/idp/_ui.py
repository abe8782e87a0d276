"""Helpers for the UI tests: reaching the login page, logging in, reading cookies and HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from idp.extensions import db
from tests.helpers import PASSWORD, auth_params, csrf_token, pkce_pair


def login_url(client, school: dict, **extra) -> str:
    """Start an authorization request; return the login page it redirects to."""
    _, challenge = pkce_pair()
    response = client.get("/authorize", query_string=auth_params(school, challenge, **extra))
    assert response.status_code == 302 and response.location.startswith("/login/"), \
        (response.status_code, response.location)
    return response.location


def post_login(client, url: str, username: str, password: str = PASSWORD):
    """GET the login page, then POST the form with its CSRF token."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                  "username": username, "password": password})


def failed_login_page(client, url: str, username: str, password: str = PASSWORD) -> str:
    """A login that must fail: the POST redirects back to the form, which is returned."""
    response = post_login(client, url, username, password)
    assert response.status_code == 303 and response.location == url, \
        (response.status_code, response.location)
    return client.get(url).get_data(as_text=True)


def login_at_school(client, slug: str, username: str, password: str = PASSWORD):
    """Log in to the IdP's own pages through a school's login page; returns the POST response."""
    start = client.get(f"/login/school/{slug}")
    assert start.status_code == 302, start.status_code
    return post_login(client, start.location, username, password)


def is_authorized(client, school: dict) -> bool:
    """Does /authorize answer without asking for a login (a live SSO session)?"""
    _, challenge = pkce_pair()
    response = client.get("/authorize", query_string=auth_params(school, challenge))
    assert response.status_code == 302, response.status_code
    if response.location.startswith("/login/"):
        return False
    assert response.location.startswith(school["redirect_uri"]), response.location
    return True


def set_cookies(response) -> dict[str, dict]:
    """Set-Cookie headers by cookie name: {"value": ..., attribute (lower-case): value or True}."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        cookie = {"value": value}
        for attribute in attributes:
            key, sep, val = attribute.partition("=")
            cookie[key.lower()] = val if sep else True
        cookies[name] = cookie
    return cookies


def database_text() -> str:
    """Every row of every table as text (to prove that a secret is not stored)."""
    chunks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            chunks.append(repr(tuple(row)))
    return "\n".join(chunks)


def normalise(html: str) -> str:
    """A page without its per-request parts (CSRF token, interaction id, typed name)."""
    html = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "CSRF", html)
    html = re.sub(r"/login/[A-Za-z0-9_-]+", "/login/IID", html)
    return re.sub(r'(id="username"[^>]*) value="[^"]*"', r"\1", html)


class Element:
    def __init__(self, tag: str, attrs: dict, text: str = ""):
        self.tag, self.attrs, self.text = tag, attrs, text

    def __repr__(self):
        return f"<{self.tag} {self.attrs}>"


class PageParser(HTMLParser):
    """Every start tag with its attributes, and the text of labels, links and alerts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: ("" if v is None else v) for k, v in attrs})
        self.elements.append(element)
        if tag not in ("input", "img", "meta", "link", "br", "hr"):
            self._open.append(element)

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data):
        for element in self._open:
            element.text += data


def parse(html: str) -> list[Element]:
    parser = PageParser()
    parser.feed(html)
    parser.close()
    return parser.elements


def find(elements: list[Element], tag: str, **attrs) -> list[Element]:
    return [e for e in elements if e.tag == tag
            and all(e.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]
