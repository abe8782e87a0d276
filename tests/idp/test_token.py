"""Token endpoint, authorization code grant (RFC 6749 3.2, 4.1.3-4.1.4, 5, 10.5)."""

import base64
import datetime as dt

import pytest
import time_machine

from tests.helpers import SECRETS
from tests.idp._protocol import (
    T0,
    assert_oauth_error,
    code_for,
    exchange,
    log_in,
    logout_from_profile,
    refresh,
    token_request,
    userinfo,
)


def code_request(school, code, verifier, **extra) -> dict:
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": school["redirect_uri"],
            "code_verifier": verifier, **extra}


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# --- client authentication (RFC 6749 2.3.1, 5.2) ----------------------------------------------

@pytest.mark.parametrize("headers, extra, www_basic", [
    pytest.param({}, {}, False, id="RFC6749-5.2-no-client-authentication"),
    pytest.param(basic("alpha", "wrong"), {}, True, id="RFC6749-5.2-basic-wrong-secret"),
    pytest.param(basic("nobody", "x"), {}, True, id="RFC6749-5.2-basic-unknown-client"),
    pytest.param(basic("alpha", SECRETS["beta"]), {}, True, id="RFC6749-5.2-basic-secret-of-another-client"),
    pytest.param({}, {"client_id": "alpha", "client_secret": "wrong"}, False,
                 id="RFC6749-2.3.1-post-wrong-secret"),
    pytest.param({}, {"client_id": "nobody", "client_secret": "x"}, False,
                 id="RFC6749-2.3.1-post-unknown-client"),
    pytest.param({}, {"client_id": "alpha"}, False, id="RFC6749-2.3.1-client_id-without-secret"),
])
def test_RFC6749_5_2_client_authentication_failure_is_invalid_client(client, world, headers, extra,
                                                                     www_basic):
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    response = client.post("/token", headers=headers, data=code_request(school, code, verifier, **extra))
    assert_oauth_error(response, 401, "invalid_client")
    if www_basic:  # RFC 6749 5.2: MUST answer the scheme the client used
        assert response.headers["WWW-Authenticate"].startswith("Basic ")
    # the code is not burnt by a failed client authentication
    assert exchange(client, school, code, verifier).status_code == 200


def test_RFC6749_2_3_1_client_secret_post_works(client, world):
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    response = client.post("/token", data=code_request(
        school, code, verifier, client_id="alpha", client_secret=school["secret"]))
    assert response.status_code == 200 and response.get_json()["id_token"]


def test_RFC6749_2_3_1_basic_credentials_are_form_urlencoded(client, world):
    """RFC 6749 2.3.1: id and secret are form-urlencoded before Basic encoding."""
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    response = client.post("/token", headers=basic("alpha", school["secret"].replace("-", "%2D")),
                           data=code_request(school, code, verifier))
    assert response.status_code == 200


# --- the code (RFC 6749 4.1.3, 10.5) --------------------------------------------------------

def test_RFC6749_4_1_4_success_response(app, client, world):
    school = world.schools["alpha"]
    code, verifier, params = code_for(client, school, "mari")
    response = exchange(client, school, code, verifier)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == app.config["ACCESS_TOKEN_LIFETIME"]
    assert set(body["scope"].split()) == set(params["scope"].split())
    assert body["access_token"] and body["refresh_token"] and body["id_token"]
    # RFC 6749 5.1: MUST include Cache-Control: no-store
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


def test_RFC6749_5_2_error_response_is_not_cached(client, world):
    response = token_request(client, world.schools["alpha"], {"grant_type": "authorization_code",
                                                              "code": "nope"})
    assert_oauth_error(response, 400, "invalid_grant")
    assert response.headers["Cache-Control"] == "no-store"


def test_RFC6749_4_1_3_code_of_another_client_is_invalid_grant(client, world):
    alpha, beta = world.schools["alpha"], world.schools["beta"]
    code, verifier, _ = code_for(client, alpha, "mari")
    response = token_request(client, beta, code_request(alpha, code, verifier))
    assert_oauth_error(response, 400, "invalid_grant")
    # another client can neither redeem nor burn it
    assert exchange(client, alpha, code, verifier).status_code == 200


@pytest.mark.parametrize("redirect_uri", [
    pytest.param("https://alpha.school.test/cb/", id="RFC6749-4.1.3-redirect_uri-differs"),
    pytest.param("https://beta.school.test/cb", id="RFC6749-4.1.3-redirect_uri-of-another-client"),
    pytest.param(None, id="RFC6749-4.1.3-redirect_uri-missing"),
])
def test_RFC6749_4_1_3_redirect_uri_mismatch_is_invalid_grant(client, world, redirect_uri):
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    data = code_request(school, code, verifier, redirect_uri=redirect_uri)
    response = token_request(client, school, {k: v for k, v in data.items() if v is not None})
    assert_oauth_error(response, 400, "invalid_grant")


@pytest.mark.parametrize("age, ok", [
    pytest.param(59, True, id="RFC6749-4.1.2-code-within-lifetime"),
    pytest.param(61, False, id="RFC6749-4.1.2-code-expired"),
])
def test_RFC6749_4_1_2_code_lifetime(app, client, world, age, ok):
    assert app.config["AUTHORIZATION_CODE_LIFETIME"] == 60
    school = world.schools["alpha"]
    with time_machine.travel(T0, tick=False) as traveller:
        code, verifier, _ = code_for(client, school, "mari")
        traveller.shift(dt.timedelta(seconds=age))
        response = exchange(client, school, code, verifier)
    if ok:
        assert response.status_code == 200
    else:
        assert_oauth_error(response, 400, "invalid_grant")


def test_RFC6749_4_1_2_reused_code_is_refused_and_its_tokens_revoked(client, world):
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    first = exchange(client, school, code, verifier).get_json()
    rotated = refresh(client, school, first["refresh_token"]).get_json()  # a descendant too
    assert userinfo(client, rotated["access_token"]).status_code == 200

    assert_oauth_error(exchange(client, school, code, verifier), 400, "invalid_grant")

    assert userinfo(client, first["access_token"]).status_code == 401
    assert userinfo(client, rotated["access_token"]).status_code == 401
    assert_oauth_error(refresh(client, school, rotated["refresh_token"]), 400, "invalid_grant")


def test_RFC6749_4_1_3_unknown_code_is_invalid_grant(client, world):
    school = world.schools["alpha"]
    _, verifier, _ = code_for(client, school, "mari")
    assert_oauth_error(exchange(client, school, "not-a-code", verifier), 400, "invalid_grant")


def test_RFC6749_4_1_3_missing_code_is_invalid_request(client, world):
    school = world.schools["alpha"]
    response = token_request(client, school, {"grant_type": "authorization_code",
                                              "redirect_uri": school["redirect_uri"]})
    assert_oauth_error(response, 400, "invalid_request")


def test_RFC6749_10_5_code_of_ended_session_is_invalid_grant(client, world):
    """The code must not outlive the login it came from (logout between redirect and exchange)."""
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    logout_from_profile(client)
    assert_oauth_error(exchange(client, school, code, verifier), 400, "invalid_grant")


@pytest.mark.parametrize("grant_type", [
    pytest.param("password", id="RFC6749-5.2-password-unsupported"),
    pytest.param("urn:ietf:params:oauth:grant-type:jwt-bearer", id="RFC6749-5.2-jwt-bearer-unsupported"),
    pytest.param("urn:ietf:params:oauth:grant-type:token-exchange", id="RFC6749-5.2-token-exchange-unsupported"),
    pytest.param("implicit", id="RFC6749-5.2-implicit-unsupported"),
    pytest.param("urn:ietf:params:oauth:grant-type:device_code", id="RFC6749-5.2-device_code-unsupported"),
])
def test_RFC6749_5_2_unsupported_grant_type(client, world, grant_type):
    response = token_request(client, world.schools["alpha"], {"grant_type": grant_type})
    assert_oauth_error(response, 400, "unsupported_grant_type")


def test_RFC6749_3_2_token_endpoint_is_post_only(client, world):
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari")
    response = client.get("/token", query_string={"grant_type": "refresh_token",
                                                  "refresh_token": tokens["refresh_token"]},
                          auth=(school["client_id"], school["secret"]))
    assert response.status_code == 405
