"""SSO sessions (idp/sessions.py): the cookie, no fixation, digests only, timeouts, logout."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine

from idp.extensions import db
from idp.models import SSOSession
from tests.helpers import auth_params, csrf_token, pkce_pair

from ._ui import database_text, is_authorized, login_at_school, login_url, post_login, set_cookies


@pytest.fixture
def app_config(request):
    """tests/conftest.py's ``app_config`` ignores indirect parameters; this one reads them."""
    return dict(getattr(request, "param", {}))


def sso_rows(app) -> list[SSOSession]:
    with app.app_context():
        return list(db.session.scalars(db.select(SSOSession).order_by(SSOSession.id)))


def test_RFC_6265_sso_cookie_attributes_under_http_issuer(client, world):
    response = post_login(client, login_url(client, world.schools["alpha"]), "mari")
    assert response.status_code == 303
    cookie = set_cookies(response)["idp_sso"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie and "domain" not in cookie
    assert "expires" not in cookie and "max-age" not in cookie  # ends with the browser


@pytest.mark.parametrize("app_config", [{"ISSUER": "https://idp.test"}], indirect=True)
def test_RFC_6265bis_4_1_3_2_host_prefixed_secure_cookies_under_https_issuer(client, world):
    _, challenge = pkce_pair()
    start = client.get("/authorize", query_string=auth_params(world.schools["alpha"], challenge))
    ui = set_cookies(start)["__Host-idp_ui"]
    assert ui["secure"] is True and ui["path"] == "/" and "domain" not in ui
    assert ui["httponly"] is True and ui["samesite"] == "Lax"
    response = post_login(client, start.location, "mari")
    assert response.status_code == 303
    cookies = set_cookies(response)
    assert "idp_sso" not in cookies
    sso = cookies["__Host-idp_sso"]
    assert sso["secure"] is True and sso["httponly"] is True
    assert sso["samesite"] == "Lax" and sso["path"] == "/" and "domain" not in sso
    # the session is found again from the prefixed cookie
    assert is_authorized(client, world.schools["alpha"])


def test_OWASP_session_fixation_planted_cookie_is_replaced_at_login(app, client, world):
    client.set_cookie("idp_sso", "planted-by-an-attacker")
    assert not is_authorized(client, world.schools["alpha"])
    post_login(client, login_url(client, world.schools["alpha"]), "mari")
    value = client.get_cookie("idp_sso").value
    assert value != "planted-by-an-attacker"
    assert is_authorized(client, world.schools["alpha"])


def test_OWASP_session_fixation_new_value_at_every_login(app, client, world):
    school = world.schools["alpha"]
    post_login(client, login_url(client, school), "mari")
    first = client.get_cookie("idp_sso").value
    post_login(client, login_url(client, school, prompt="login"), "mari")
    second = client.get_cookie("idp_sso").value
    assert first != second
    # the same person re-authenticating continues the session (its sid stays what the schools
    # hold, so logout still reaches them) under a new cookie value
    [row] = sso_rows(app)
    assert row.ended_at is None
    client.set_cookie("idp_sso", first)
    assert not is_authorized(client, school), "the value from before the new login must be dead"


def test_sso_session_stores_only_a_sha256_digest_of_the_cookie(app, client, world):
    post_login(client, login_url(client, world.schools["alpha"]), "mari")
    value = client.get_cookie("idp_sso").value
    [row] = sso_rows(app)
    assert row.cookie_digest == hashlib.sha256(value.encode()).hexdigest()
    assert row.sid != value
    with app.app_context():
        assert value not in database_text()


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        yield traveller


def test_sso_session_idle_timeout_ends_the_session(app, client, world, clock):
    school = world.schools["alpha"]
    post_login(client, login_url(client, school), "mari")
    clock.shift(app.config["SESSION_IDLE_TIMEOUT"] - 60)
    assert is_authorized(client, school)  # use keeps it alive ...
    clock.shift(app.config["SESSION_IDLE_TIMEOUT"] - 60)
    assert is_authorized(client, school)
    clock.shift(app.config["SESSION_IDLE_TIMEOUT"] + 1)  # ... idleness ends it
    assert not is_authorized(client, school)
    [row] = sso_rows(app)
    assert row.ended_at is not None


def test_sso_session_absolute_timeout_ends_even_a_busy_session(app, client, world, clock):
    school = world.schools["alpha"]
    post_login(client, login_url(client, school), "mari")
    step = app.config["SESSION_IDLE_TIMEOUT"] // 2
    elapsed = 0
    while elapsed + step < app.config["SESSION_ABSOLUTE_TIMEOUT"]:
        clock.shift(step)
        elapsed += step
        assert is_authorized(client, school), elapsed
    clock.shift(app.config["SESSION_ABSOLUTE_TIMEOUT"] - elapsed)
    assert not is_authorized(client, school)
    assert sso_rows(app)[0].ended_at is not None


def test_sso_session_ended_session_cookie_is_cleared(app, client, world, clock):
    school = world.schools["alpha"]
    post_login(client, login_url(client, school), "mari")
    clock.shift(app.config["SESSION_IDLE_TIMEOUT"] + 1)
    assert not is_authorized(client, school)
    assert client.get_cookie("idp_sso") is None


def logged_in_profile(client, world) -> str:
    response = login_at_school(client, "alpha", "mari")
    assert response.status_code == 303
    return client.get("/account/").get_data(as_text=True)


def test_logout_from_profile_ends_the_session_on_the_server(app, client, world):
    html = logged_in_profile(client, world)
    old = client.get_cookie("idp_sso").value
    response = client.post("/account/logout", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 200
    assert "Oled välja loginud" in response.get_data(as_text=True)
    assert client.get_cookie("idp_sso") is None
    [row] = sso_rows(app)
    assert row.ended_at is not None
    client.set_cookie("idp_sso", old)  # a copied cookie no longer logs anyone in
    assert not is_authorized(client, world.schools["alpha"])
    assert client.get("/account/").location == "/account/login"


def test_CSRF_logout_without_token_is_refused_and_session_lives(app, client, world):
    logged_in_profile(client, world)
    response = client.post("/account/logout")
    assert response.status_code == 400
    assert is_authorized(client, world.schools["alpha"])
    assert sso_rows(app)[0].ended_at is None


def test_OWASP_session_fixation_another_person_on_the_same_browser_gets_a_new_session(app, client, world):
    school = world.schools["alpha"]
    post_login(client, login_url(client, school), "mari")
    first = client.get_cookie("idp_sso").value
    post_login(client, login_url(client, school, prompt="login"), "juhan")
    assert client.get_cookie("idp_sso").value != first
    first_row, second_row = sso_rows(app)
    assert first_row.ended_at is not None and second_row.ended_at is None
    assert first_row.person_id != second_row.person_id
