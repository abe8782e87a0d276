"""Helpers driving the /oidc blueprint through a login with a FakeIssuer behind `responses`."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from schools_client.testing import FakeIssuer


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def begin(client: FlaskClient, path: str = "/oidc/login", **params: str) -> dict[str, str]:
    """GET the login URL; return the authorization request's query parameters."""
    resp = client.get(path, query_string=params)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return query(resp.headers["Location"])


def finish(
    client: FlaskClient,
    rsps: responses.RequestsMock,
    idp: FakeIssuer,
    auth: dict[str, str],
    *,
    client_id: str,
    now: float,
    sub: str = "isik-1",
    sid: str | None = "sid-1",
    userinfo: dict[str, Any] | None = None,
    **claims: Any,
) -> TestResponse:
    """Mock the token and userinfo endpoints and GET the callback."""
    body = idp.token_response(audience=client_id, nonce=auth["nonce"], sub=sub, sid=sid, now=now, **claims)
    rsps.post(idp.token_endpoint, json=body)
    rsps.get(idp.userinfo_endpoint, json={"sub": sub, **(userinfo or {})})
    return client.get("/oidc/callback", query_string={"code": "code-x", "state": auth["state"], "iss": idp.issuer})


def login(
    client: FlaskClient, rsps: responses.RequestsMock, idp: FakeIssuer, *, client_id: str, now: float, **kw: Any
) -> TestResponse:
    """A whole successful login; returns the callback response."""
    resp = finish(client, rsps, idp, begin(client), client_id=client_id, now=now, **kw)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return resp
