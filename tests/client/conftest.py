"""Fixtures for the schools_client tests: a fake IdP, a fake clock, strict HTTP mocks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from schools_client.config import ClientSettings
from schools_client.testing import FakeIssuer, generate_key

if TYPE_CHECKING:
    from schools_client.web import SchoolsOIDC

ISSUER = "https://idp.example.test"
CLIENT_ID = "noomuusikakool"
CLIENT_SECRET = "s3cr:et/ä?"
BASE = "https://noo.example.test"
T0 = 1_750_000_000.0


class Clock:
    """A settable clock: ``clock()`` returns ``clock.now``."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def idp() -> FakeIssuer:
    return FakeIssuer(ISSUER)


@pytest.fixture(scope="session")
def es_idp() -> FakeIssuer:
    return FakeIssuer(ISSUER, alg="ES256", kid="fake-ec-1")


@pytest.fixture(scope="session")
def foreign_key():  # same kid as the IdP's key, different key material
    return generate_key("RS256", "fake-key-1")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def settings() -> ClientSettings:
    return ClientSettings(
        issuer=ISSUER, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        redirect_uri=f"{BASE}/oidc/callback", post_logout_redirect_uri=f"{BASE}/",
    )


# --- a school app using the /oidc blueprint (see school_app.py) ------------------------


@pytest.fixture
def app_oidc(clock: Clock) -> tuple[Flask, SchoolsOIDC]:
    from .school_app import make_app

    return make_app(clock)


@pytest.fixture
def app(app_oidc: tuple[Flask, SchoolsOIDC]) -> Flask:
    return app_oidc[0]


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as c:
        yield c


@pytest.fixture
def three_sessions(rsps: responses.RequestsMock, idp: FakeIssuer, app: Flask,
                   clock: Clock) -> dict[str, FlaskClient]:
    """Three logged-in browsers: A with sids a1 and a2, B with b1."""
    from .school_app import do_login

    idp.register(rsps)
    clients = {}
    for name, sub, sid in (("a1", "A", "sid-a1"), ("a2", "A", "sid-a2"), ("b1", "B", "sid-b1")):
        c = app.test_client()
        do_login(c, rsps, idp, clock, sub=sub, sid=sid)
        clients[name] = c
    return clients
