"""UserInfo endpoint (OIDC Core 5.3) as an RFC 6750 protected resource."""

import datetime as dt

import pytest
import time_machine

from idp.extensions import db
from idp.models import Account
from tests.idp._protocol import (
    T0,
    decode_id_token,
    log_in,
    logout_from_profile,
    userinfo,
)


def assert_invalid_token(response):
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_token"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge


@pytest.mark.parametrize("headers", [
    pytest.param({}, id="RFC6750-3.1-no-authorization-header"),
    pytest.param({"Authorization": "Basic YWxwaGE6eA=="}, id="RFC6750-3.1-unsupported-scheme"),
])
def test_RFC6750_3_no_credentials_is_401_with_bare_challenge(client, world, headers):
    response = client.get("/userinfo", headers=headers)
    assert response.status_code == 401
    # RFC 6750 3.1: no error code when the request carried no authentication at all
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert "error=" not in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("header", [
    pytest.param("Bearer not-a-token", id="RFC6750-3.1-unknown-token"),
    pytest.param("Bearer " + "x" * 300, id="RFC6750-3.1-long-unknown-token"),
])
def test_RFC6750_3_1_bad_token_is_invalid_token(client, world, header):
    assert_invalid_token(client.get("/userinfo", headers={"Authorization": header}))


def test_OIDC_Core_5_3_2_full_scope(client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    response = userinfo(client, tokens["access_token"])
    assert response.status_code == 200
    info = response.get_json()
    assert info["sub"] == world.accounts["alpha/mari"]
    assert info["name"] == "Mari Maasikas" and info["given_name"] == "Mari"
    assert info["email"] == "mari@example.ee" and info["email_verified"] is True
    assert info["roles"] == ["parent"] and info["schools"][0]["client_id"] == "alpha"


@pytest.mark.parametrize("scope, claims", [
    pytest.param("openid", {"sub"}, id="OIDC-Core-5.4-openid-only-sub"),
    pytest.param("openid email", {"sub", "email", "email_verified"}, id="OIDC-Core-5.4-email-scope"),
    pytest.param("openid profile", {"sub", "name", "given_name", "family_name"},
                 id="OIDC-Core-5.4-profile-scope"),
    pytest.param("openid roles", {"sub", "roles"}, id="OIDC-Core-5.4-roles-scope"),
])
def test_OIDC_Core_5_4_claims_follow_scope(client, world, scope, claims):
    tokens = log_in(client, world.schools["alpha"], "mari", scope=scope)
    assert set(userinfo(client, tokens["access_token"]).get_json()) == claims


def test_OIDC_Core_5_4_phone_scope(app, client, world):
    """phone_number as typed by the person or the school, never marked verified (no code was
    sent to it); without a number, no phone claims at all."""
    tokens = log_in(client, world.schools["alpha"], "mari", scope="openid phone")
    assert set(userinfo(client, tokens["access_token"]).get_json()) == {"sub"}
    with app.app_context():
        from idp.extensions import db
        from idp.models import Account
        account = db.session.scalar(db.select(Account).where(Account.sub == world.accounts["alpha/mari"]))
        account.person.phone = "+372 5555 1234"
        db.session.commit()
    info = userinfo(client, tokens["access_token"]).get_json()
    assert info == {"sub": world.accounts["alpha/mari"], "phone_number": "+372 5555 1234",
                    "phone_number_verified": False}


def test_OIDC_Core_5_3_2_sub_equals_id_token_sub(app, client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    id_sub = decode_id_token(app, tokens["id_token"]).claims["sub"]
    assert userinfo(client, tokens["access_token"]).get_json()["sub"] == id_sub


def test_OIDC_Core_5_3_1_post_works(client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    response = userinfo(client, tokens["access_token"], method="POST")
    assert response.status_code == 200 and response.get_json()["sub"] == world.accounts["alpha/mari"]


def test_OIDC_Core_5_3_2_not_cached(client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    response = userinfo(client, tokens["access_token"])
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"


def test_RFC6750_3_1_disabled_account_is_invalid_token(app, client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.sub == world.accounts["alpha/mari"]))
        account.status = "disabled"
        db.session.commit()
    assert_invalid_token(userinfo(client, tokens["access_token"]))


def test_RFC6750_3_1_expired_token_is_invalid_token(app, client, world):
    with time_machine.travel(T0, tick=False) as traveller:
        tokens = log_in(client, world.schools["alpha"], "mari")
        traveller.shift(dt.timedelta(seconds=app.config["ACCESS_TOKEN_LIFETIME"] - 1))
        assert userinfo(client, tokens["access_token"]).status_code == 200
        traveller.shift(dt.timedelta(seconds=2))
        assert_invalid_token(userinfo(client, tokens["access_token"]))


def test_RFC6750_3_1_token_of_ended_session_is_invalid_token(client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    logout_from_profile(client)
    assert_invalid_token(userinfo(client, tokens["access_token"]))


def test_RFC6750_3_1_token_without_openid_is_insufficient_scope(client, world):
    tokens = log_in(client, world.schools["alpha"], "mari", scope="profile")
    response = userinfo(client, tokens["access_token"])
    assert response.status_code == 403 and response.get_json()["error"] == "insufficient_scope"
    # RFC 6750 3: the resource server MUST include WWW-Authenticate when the token does not
    # enable access
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")


def test_RFC6750_2_1_refresh_token_is_not_an_access_token(client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    assert_invalid_token(userinfo(client, tokens["refresh_token"]))
