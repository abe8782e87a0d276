"""A minimal school app using SchoolsOIDC, for the blueprint tests."""

from __future__ import annotations

from typing import Any

import requests
import responses
from flask import Flask
from flask.testing import FlaskClient

from schools_client.sessions import MemorySessionStore, SessionStore
from schools_client.testing import FakeIssuer
from schools_client.web import (
    SchoolsOIDC,
    access_token,
    current_user,
    just_logged_out,
    login_required,
)

from .conftest import BASE, CLIENT_ID, CLIENT_SECRET, ISSUER, Clock
from .flow import login

COOKIE = "noo_session"


def make_app(clock: Clock, store: SessionStore | None = None, **config: Any) -> tuple[Flask, SchoolsOIDC]:
    app = Flask("school")
    app.config.update(
        TESTING=True, SCHOOLS_OIDC_ISSUER=ISSUER, SCHOOLS_OIDC_CLIENT_ID=CLIENT_ID,
        SCHOOLS_OIDC_CLIENT_SECRET=CLIENT_SECRET, SCHOOLS_OIDC_BASE_URL=BASE,
        SCHOOLS_OIDC_POST_LOGOUT_REDIRECT_URI=f"{BASE}/", SCHOOLS_OIDC_COOKIE_NAME=COOKIE,
    )
    app.config.update(config)
    oidc = SchoolsOIDC(app, store=store or MemorySessionStore(clock=clock), http=requests.Session(), clock=clock)

    @app.get("/")
    def home() -> str:
        user = current_user()
        return f"user={user['sub'] if user else None} name={user.get('name') if user else None} " \
               f"logged_out={just_logged_out()}"

    @app.get("/grades")
    @login_required
    def grades() -> str:
        user = current_user()
        assert user is not None
        return f"grades of {user['sub']}"

    @app.get("/api-token")
    def api_token() -> str:
        return access_token() or "none"

    return app, oidc


def cookie(client: FlaskClient) -> str | None:
    c = client.get_cookie(COOKIE)
    return c.value if c else None


def do_login(client: FlaskClient, rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock, **kw: Any) -> Any:
    return login(client, rsps, idp, client_id=CLIENT_ID, now=clock.now, **kw)
