"""Refresh tokens (RFC 6749 6), rotated on every use with reuse detection (RFC 9700 4.14.2)."""

import datetime as dt

import pytest
import time_machine

from idp.extensions import db
from idp.models import Account
from tests.idp._protocol import (
    T0,
    assert_oauth_error,
    decode_id_token,
    half_hash,
    log_in,
    logout_from_profile,
    refresh,
    token_request,
    userinfo,
)


@pytest.fixture
def tokens(client, world):
    return log_in(client, world.schools["alpha"], "mari")


def test_RFC6749_6_refresh_issues_new_tokens(app, client, world, tokens):
    school = world.schools["alpha"]
    response = refresh(client, school, tokens["refresh_token"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == app.config["ACCESS_TOKEN_LIFETIME"]
    assert body["scope"] == tokens["scope"]
    assert body["access_token"] != tokens["access_token"]
    assert userinfo(client, body["access_token"]).get_json()["sub"] == world.accounts["alpha/mari"]


def test_RFC9700_4_14_2_rotation_refuses_the_old_token(client, world, tokens):
    school = world.schools["alpha"]
    first = refresh(client, school, tokens["refresh_token"]).get_json()
    second = refresh(client, school, first["refresh_token"]).get_json()
    assert len({tokens["refresh_token"], first["refresh_token"], second["refresh_token"]}) == 3
    assert_oauth_error(refresh(client, school, first["refresh_token"]), 400, "invalid_grant")


def test_RFC9700_4_14_2_replay_revokes_the_whole_family(client, world, tokens):
    school = world.schools["alpha"]
    newest = refresh(client, school, tokens["refresh_token"]).get_json()
    assert userinfo(client, newest["access_token"]).status_code == 200
    # an attacker (or a confused client) replays the rotated token
    assert_oauth_error(refresh(client, school, tokens["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(refresh(client, school, newest["refresh_token"]), 400, "invalid_grant")
    assert userinfo(client, newest["access_token"]).status_code == 401


def test_RFC9700_4_14_2_replay_does_not_touch_other_families(app, client, world, tokens):
    school = world.schools["alpha"]
    other = log_in(app.test_client(), school, "juhan")
    refresh(client, school, tokens["refresh_token"])
    refresh(client, school, tokens["refresh_token"])  # replay: mari's family is gone
    assert refresh(client, school, other["refresh_token"]).status_code == 200


@pytest.mark.parametrize("scope", [
    pytest.param("openid profile email roles schools offline_access", id="RFC6749-6-scope-widened"),
    pytest.param("openid phone", id="RFC6749-6-scope-unknown-value"),
])
def test_RFC6749_6_scope_cannot_be_widened(client, world, scope):
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari", scope="openid profile email")
    assert_oauth_error(refresh(client, school, tokens["refresh_token"], scope=scope), 400, "invalid_scope")


def test_RFC6749_6_scope_may_be_narrowed_for_one_access_token(client, world):
    """RFC 6749 6: a narrower scope limits the new access token; the new refresh token keeps
    the scope originally granted ("MUST be identical to that of the refresh token")."""
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari", scope="openid profile email")
    narrow = refresh(client, school, tokens["refresh_token"], scope="openid").get_json()
    assert narrow["scope"] == "openid"
    assert set(userinfo(client, narrow["access_token"]).get_json()) == {"sub"}
    wide = refresh(client, school, narrow["refresh_token"])
    assert wide.status_code == 200, wide.get_json()
    assert set(wide.get_json()["scope"].split()) == {"openid", "profile", "email"}
    again = refresh(client, school, wide.get_json()["refresh_token"], scope="openid email")
    assert again.status_code == 200, again.get_json()


def test_RFC6749_6_refresh_token_of_another_client_is_invalid_grant(client, world, tokens):
    alpha, beta = world.schools["alpha"], world.schools["beta"]
    assert_oauth_error(refresh(client, beta, tokens["refresh_token"]), 400, "invalid_grant")
    assert refresh(client, alpha, tokens["refresh_token"]).status_code == 200  # left intact


def test_RFC6749_6_refresh_requires_client_authentication(client, world, tokens):
    response = token_request(client, None, {"grant_type": "refresh_token",
                                            "refresh_token": tokens["refresh_token"]})
    assert_oauth_error(response, 401, "invalid_client")
    assert refresh(client, world.schools["alpha"], tokens["refresh_token"]).status_code == 200


def test_RFC6749_6_missing_refresh_token_is_invalid_request(client, world):
    response = token_request(client, world.schools["alpha"], {"grant_type": "refresh_token"})
    assert_oauth_error(response, 400, "invalid_request")


def test_RFC6749_6_unknown_refresh_token_is_invalid_grant(client, world):
    assert_oauth_error(refresh(client, world.schools["alpha"], "nope"), 400, "invalid_grant")


def test_RFC6749_6_access_token_is_not_a_refresh_token(client, world, tokens):
    assert_oauth_error(refresh(client, world.schools["alpha"], tokens["access_token"]), 400, "invalid_grant")


def test_RFC9700_4_14_2_refresh_after_idp_logout_is_invalid_grant(client, world, tokens):
    logout_from_profile(client)
    assert_oauth_error(refresh(client, world.schools["alpha"], tokens["refresh_token"]), 400, "invalid_grant")


def test_RFC9700_4_14_2_refresh_after_rp_initiated_logout_is_invalid_grant(client, world, tokens):
    school = world.schools["alpha"]
    response = client.get("/logout", query_string={"id_token_hint": tokens["id_token"]})
    assert response.status_code == 200
    assert_oauth_error(refresh(client, school, tokens["refresh_token"]), 400, "invalid_grant")


def test_RFC6749_6_refresh_for_disabled_account_is_invalid_grant(app, client, world, tokens):
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.sub == world.accounts["alpha/mari"]))
        account.status = "disabled"
        db.session.commit()
    assert_oauth_error(refresh(client, world.schools["alpha"], tokens["refresh_token"]), 400, "invalid_grant")


def test_RFC6749_6_refresh_token_after_sso_session_timeout_is_invalid_grant(app, client, world):
    school = world.schools["alpha"]
    with time_machine.travel(T0, tick=False) as traveller:
        tokens = log_in(client, school, "mari")
        traveller.shift(dt.timedelta(seconds=app.config["SESSION_IDLE_TIMEOUT"] + 1))
        client.get("/account/")  # the browser comes back: the idle session is ended
        response = refresh(client, school, tokens["refresh_token"])
    assert_oauth_error(response, 400, "invalid_grant")


def test_RFC6749_6_refresh_after_absolute_session_limit_is_invalid_grant(app, client, world):
    """The SSO session ends at its absolute limit even if the browser never comes back."""
    school = world.schools["alpha"]
    with time_machine.travel(T0, tick=False) as traveller:
        tokens = log_in(client, school, "mari")
        traveller.shift(dt.timedelta(seconds=app.config["SESSION_ABSOLUTE_TIMEOUT"] + 1))
        response = refresh(client, school, tokens["refresh_token"])
    assert_oauth_error(response, 400, "invalid_grant")


# --- OIDC Core 12.2: a refresh returns a new ID token ------------------------------------------

SAME_AS_ORIGINAL = ("iss", "sub", "aud", "azp", "auth_time", "sid", "amr", "acr")


def test_OIDC_12_2_refresh_returns_a_new_id_token_for_the_same_authentication(app, client, world):
    school = world.schools["alpha"]
    with time_machine.travel(T0, tick=False) as traveller:
        tokens = log_in(client, school, "mari")
        traveller.shift(dt.timedelta(minutes=5))
        body = refresh(client, school, tokens["refresh_token"]).get_json()
    first = decode_id_token(app, tokens["id_token"]).claims
    renewed = decode_id_token(app, body["id_token"]).claims
    assert {k: renewed.get(k) for k in SAME_AS_ORIGINAL} == {k: first.get(k) for k in SAME_AS_ORIGINAL}
    assert first["sid"] and first["amr"] and first["acr"]  # the comparison above compares values
    assert "nonce" in first and "nonce" not in renewed
    assert renewed["iat"] == first["iat"] + 300
    assert renewed["exp"] == renewed["iat"] + app.config["ID_TOKEN_LIFETIME"]
    assert renewed["at_hash"] == half_hash(body["access_token"])


def test_OIDC_12_2_every_rotation_returns_an_id_token(client, world, tokens):
    school = world.schools["alpha"]
    first = refresh(client, school, tokens["refresh_token"]).get_json()
    second = refresh(client, school, first["refresh_token"]).get_json()
    assert first["id_token"] and second["id_token"] and first["id_token"] != tokens["id_token"]


def test_OIDC_12_2_no_id_token_when_the_grant_had_no_openid_scope(client, world):
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari", scope="profile email")
    assert "id_token" not in tokens
    assert "id_token" not in refresh(client, school, tokens["refresh_token"]).get_json()


def test_OIDC_12_2_narrowed_refresh_of_an_openid_grant_still_returns_an_id_token(app, client, world, tokens):
    body = refresh(client, world.schools["alpha"], tokens["refresh_token"], scope="email").get_json()
    claims = decode_id_token(app, body["id_token"]).claims
    assert claims["sub"] == world.accounts["alpha/mari"]
    assert "email" in claims and "name" not in claims  # user claims follow the narrowed scope


def test_OIDC_RPInitiatedLogout_2_refreshed_id_token_is_a_valid_id_token_hint(client, world, tokens):
    school = world.schools["alpha"]
    body = refresh(client, school, tokens["refresh_token"]).get_json()
    response = client.get("/logout", query_string={"id_token_hint": body["id_token"],
                                                   "post_logout_redirect_uri": school["post_logout"]})
    assert response.status_code in (200, 302), response.status_code
    assert_oauth_error(refresh(client, school, body["refresh_token"]), 400, "invalid_grant")
