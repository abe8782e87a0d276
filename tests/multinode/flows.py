"""A school and a browser doing the code flow against real nodes, over HTTP."""

from __future__ import annotations

import requests

from tests.helpers import PASSWORD, auth_params, csrf_token, pkce_pair, query
from tests.multinode.nodes import Node


def authorize(node: Node, browser: requests.Session, school: dict, username: str | None = None,
              password: str = PASSWORD, **extra) -> tuple[requests.Response, str]:
    """``/authorize`` at ``node``, logging in there when asked; (last response, PKCE verifier)."""
    verifier, challenge = pkce_pair()
    response = node.get(browser, "/authorize", params=auth_params(school, challenge, **extra))
    if username is not None and response.status_code == 302 and \
            response.headers["Location"].startswith("/login/"):
        posted = log_in(node, browser, response.headers["Location"], username, password)
        assert posted.status_code == 303, (posted.status_code, posted.text[:300])
        response = node.get(browser, posted.headers["Location"])
    return response, verifier


def log_in(node: Node, browser: requests.Session, login_path: str, username: str,
           password: str = PASSWORD) -> requests.Response:
    page = node.get(browser, login_path)
    assert page.status_code == 200, (page.status_code, page.text[:300])
    return node.post(browser, login_path, data={"csrf_token": csrf_token(page.text),
                                                "username": username, "password": password})


def code_of(response: requests.Response, school: dict) -> str:
    location = response.headers.get("Location", "")
    assert response.status_code == 302 and location.startswith(school["redirect_uri"]), \
        (response.status_code, location, response.text[:300])
    return query(location)["code"]


def redeem(node: Node, school: dict, code: str, verifier: str) -> requests.Response:
    return node.post(requests.Session(), "/token", auth=(school["client_id"], school["secret"]),
                     data={"grant_type": "authorization_code", "code": code,
                           "redirect_uri": school["redirect_uri"], "code_verifier": verifier})


def refresh(node: Node, school: dict, refresh_token: str) -> requests.Response:
    return node.post(requests.Session(), "/token", auth=(school["client_id"], school["secret"]),
                     data={"grant_type": "refresh_token", "refresh_token": refresh_token})
