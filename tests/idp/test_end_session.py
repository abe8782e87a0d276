"""RP-Initiated Logout 1.0 (the end_session endpoint, /logout)."""

import datetime as dt

import pytest
import time_machine

from tests.helpers import authorize, csrf_token
from tests.idp._protocol import (
    assert_error_page,
    assert_error_redirect,
    location_params,
    log_in,
    logout_from_profile,
    sign_id_token,
    userinfo,
)

LOGGED_OUT = "Oled välja loginud"  # "You have logged out"
CONFIRM = "Kas logid välja?"  # "Log out?"


def session_alive(client, world) -> bool:
    """prompt=none answers with a code only while the SSO session lives."""
    response, _, _ = authorize(client, world.schools["alpha"], prompt="none")
    return "code=" in response.location


@pytest.fixture
def tokens(client, world):
    return log_in(client, world.schools["alpha"], "mari")


@pytest.mark.parametrize("with_client_id", [
    pytest.param(False, id="RP-Initiated-2-hint-alone-names-the-client"),
    pytest.param(True, id="RP-Initiated-2-hint-and-matching-client_id"),
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_RP_Initiated_3_valid_hint_logs_out_and_redirects_with_state(client, world, tokens,
                                                                      with_client_id, method):
    school = world.schools["alpha"]
    params = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": school["post_logout"],
              "state": "bye ä&1"}
    if with_client_id:
        params["client_id"] = "alpha"
    if method == "GET":
        response = client.get("/logout", query_string=params)
    else:
        response = client.post("/logout", data=params)
    assert response.status_code == 302
    assert response.location.split("?")[0] == school["post_logout"]
    assert location_params(response)["state"] == ["bye ä&1"]
    assert not session_alive(client, world)
    assert userinfo(client, tokens["access_token"]).status_code == 401
    response, _, params = authorize(client, school, prompt="none")
    assert_error_redirect(response, school, "login_required", params["state"])


def test_RP_Initiated_2_valid_hint_without_redirect_shows_logged_out_page(client, world, tokens):
    response = client.get("/logout", query_string={"id_token_hint": tokens["id_token"]})
    assert response.status_code == 200 and LOGGED_OUT in response.get_data(as_text=True)
    assert not session_alive(client, world)


@pytest.mark.parametrize("uri", [
    pytest.param("https://evil.example/bye", id="RP-Initiated-3-post_logout_redirect_uri-not-registered"),
    pytest.param("https://alpha.school.test/bye/", id="RP-Initiated-3-post_logout_redirect_uri-not-exact"),
    pytest.param("https://beta.school.test/bye", id="RP-Initiated-3-post_logout_redirect_uri-of-another-client"),
])
@pytest.mark.parametrize("client_id", [None, "alpha"])
def test_RP_Initiated_4_unregistered_redirect_is_an_error_page(client, world, tokens, uri, client_id):
    """RP-Initiated 3: no redirection to an unregistered URI; 4: on errors, no redirect. The request
    is refused as a whole: the person stays logged in and can log out from the IdP."""
    params = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": uri, "state": "s",
              "client_id": client_id}
    response = client.get("/logout", query_string={k: v for k, v in params.items() if v})
    assert_error_page(response, 400)
    assert session_alive(client, world)


@pytest.mark.parametrize("claims, forge", [
    pytest.param({"iss": "https://evil.example"}, False, id="RP-Initiated-2-hint-of-another-issuer"),
    pytest.param({}, True, id="RP-Initiated-4-hint-forged-signature"),
    pytest.param(None, False, id="RP-Initiated-4-hint-garbage"),
])
def test_RP_Initiated_4_bad_hint_is_an_error_page(app, client, world, tokens, claims, forge):
    school = world.schools["alpha"]
    hint = "a.b.c" if claims is None else sign_id_token(
        app, {"sub": world.accounts["alpha/mari"], **claims}, forge=forge)
    response = client.get("/logout", query_string={
        "id_token_hint": hint, "post_logout_redirect_uri": school["post_logout"], "state": "s"})
    assert_error_page(response, 400)
    assert session_alive(client, world)


def test_RP_Initiated_2_client_id_must_match_hint_audience(client, world, tokens):
    response = client.get("/logout", query_string={
        "id_token_hint": tokens["id_token"], "client_id": "beta",
        "post_logout_redirect_uri": world.schools["beta"]["post_logout"]})
    assert_error_page(response, 400)
    assert session_alive(client, world)


def test_RP_Initiated_2_expired_hint_is_still_accepted(app, client, world, tokens):
    """RP-Initiated 2: the OP SHOULD accept ID tokens whose exp has passed."""
    school = world.schools["alpha"]
    with time_machine.travel(dt.timedelta(seconds=app.config["ID_TOKEN_LIFETIME"] + 60)):
        response = client.get("/logout", query_string={
            "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": school["post_logout"]})
    assert response.status_code == 302 and response.location == school["post_logout"]


# --- no (matching) id_token_hint: ask the person first (RP-Initiated 6) -------------------------

def test_RP_Initiated_6_without_hint_asks_for_confirmation(client, world, tokens):
    school = world.schools["alpha"]
    params = {"client_id": "alpha", "post_logout_redirect_uri": school["post_logout"], "state": "s1"}
    page = client.get("/logout", query_string=params)
    assert page.status_code == 200 and CONFIRM in page.get_data(as_text=True)
    assert session_alive(client, world)
    # a POST without our CSRF token (a cross-site form) ends nothing
    forged = client.post("/logout", data={**params, "confirm": "1"})
    assert forged.status_code == 200 and CONFIRM in forged.get_data(as_text=True)
    assert session_alive(client, world)
    # the person presses the button
    token = csrf_token(client.get("/logout", query_string=params).get_data(as_text=True))
    done = client.post("/logout", data={**params, "confirm": "1", "csrf_token": token})
    assert done.status_code == 302 and done.location.split("?")[0] == school["post_logout"]
    assert location_params(done)["state"] == ["s1"]
    assert not session_alive(client, world)
    assert userinfo(client, tokens["access_token"]).status_code == 401


def test_RP_Initiated_6_hint_of_an_older_session_asks_for_confirmation(app, client, world, tokens):
    school = world.schools["alpha"]
    logout_from_profile(client)
    log_in(client, school, "mari")  # a new session: the old hint names a session that is over
    response = client.get("/logout", query_string={"id_token_hint": tokens["id_token"],
                                                   "post_logout_redirect_uri": school["post_logout"]})
    assert response.status_code == 200 and CONFIRM in response.get_data(as_text=True)
    assert session_alive(client, world)


def test_RP_Initiated_2_logout_without_session_shows_logged_out_page(client, world):
    response = client.get("/logout")
    assert response.status_code == 200 and LOGGED_OUT in response.get_data(as_text=True)


def test_RP_Initiated_4_logout_without_session_still_redirects(client, world, tokens):
    """Logout is idempotent: a valid request redirects even when the person is already out."""
    school = world.schools["alpha"]
    logout_from_profile(client)
    response = client.get("/logout", query_string={
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": school["post_logout"],
        "state": "x"})
    assert response.status_code == 302
    assert response.location == school["post_logout"] + "?state=x"
