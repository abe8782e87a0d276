"""ID tokens (OIDC Core 2, 3.1.3.6, 3.1.3.7, 8.1, 15.5.2)."""

import datetime as dt

import time_machine
from joserfc.jws import extract_compact

from tests.helpers import authorize, exchange, query
from tests.idp._protocol import (
    ISSUER,
    T0,
    assert_code_redirect,
    assert_error_redirect,
    decode_id_token,
    half_hash,
    link_account,
    log_in,
)


def claims_of(app, tokens) -> dict:
    return decode_id_token(app, tokens["id_token"]).claims


def test_OIDC_Core_3_1_3_7_header_is_RS256_with_published_kid(client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    header = extract_compact(tokens["id_token"].encode()).protected
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    published = {key["kid"]: key for key in client.get("/jwks.json").get_json()["keys"]}
    assert published[header["kid"]]["alg"] == "RS256"


def test_OIDC_Core_2_required_claims(app, client, world):
    with time_machine.travel(T0, tick=False):
        tokens = log_in(client, world.schools["alpha"], "mari")
    claims = claims_of(app, tokens)
    now = int(T0.timestamp())
    assert claims["iss"] == ISSUER
    assert claims["sub"] == world.accounts["alpha/mari"]
    assert claims["aud"] == ["alpha"] and claims["azp"] == "alpha"
    assert claims["iat"] == now
    assert claims["exp"] - claims["iat"] == app.config["ID_TOKEN_LIFETIME"]
    assert claims["auth_time"] == now
    assert claims["amr"] == ["pwd"] and claims["acr"] == "low"


def test_OIDC_Core_2_auth_time_is_the_login_not_the_token(app, client, world):
    school = world.schools["alpha"]
    with time_machine.travel(T0, tick=False) as traveller:
        log_in(client, school, "mari")
        traveller.shift(dt.timedelta(minutes=7))
        response, verifier, _ = authorize(client, school, prompt="none")
        tokens = exchange(client, school, query(response.location)["code"], verifier).get_json()
    claims = claims_of(app, tokens)
    assert claims["auth_time"] == int(T0.timestamp())
    assert claims["iat"] == int(T0.timestamp()) + 7 * 60


def test_OIDC_Core_3_1_3_6_nonce_echoed(app, client, world):
    tokens = log_in(client, world.schools["alpha"], "mari", nonce="n-0S6_WzA2Mj")
    assert claims_of(app, tokens)["nonce"] == "n-0S6_WzA2Mj"


def test_OIDC_Core_3_1_3_6_nonce_absent_when_not_sent(app, client, world):
    tokens = log_in(client, world.schools["alpha"], "mari", nonce=None)
    assert "nonce" not in claims_of(app, tokens)


def test_OIDC_Core_3_1_3_6_at_hash(app, client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    assert claims_of(app, tokens)["at_hash"] == half_hash(tokens["access_token"])


def test_OIDC_Core_15_5_2_nonce_replay_for_same_client_is_refused(client, world):
    alpha, beta = world.schools["alpha"], world.schools["beta"]
    log_in(client, alpha, "mari", nonce="used-once")
    response, _, params = authorize(client, alpha, prompt="none", nonce="used-once")
    assert_error_redirect(response, alpha, "invalid_request", params["state"])
    # another client may happen to use the same value
    response, _, params = authorize(client, beta, "mari", nonce="used-once")
    assert_code_redirect(response, beta, params["state"])


def test_OIDC_Core_8_1_sub_is_pairwise_per_school_and_stable(app, client, world):
    link_account(app, world, "alpha/mari", "beta", "mari.m")
    alpha, beta = world.schools["alpha"], world.schools["beta"]
    at_alpha = claims_of(app, log_in(client, alpha, "mari"))
    at_beta = claims_of(app, log_in(client, beta, "mari.m"))  # silent: same person, live session
    assert at_alpha["sub"] != at_beta["sub"]
    again = claims_of(app, log_in(app.test_client(), alpha, "mari"))  # another browser, new login
    assert again["sub"] == at_alpha["sub"]
    assert again["sid"] != at_alpha["sid"]


def test_OIDC_BackChannel_2_1_sid_shared_by_schools_of_one_session(app, client, world):
    link_account(app, world, "alpha/mari", "beta", "mari.m")
    alpha, beta = world.schools["alpha"], world.schools["beta"]
    first = claims_of(app, log_in(client, alpha, "mari"))
    response, verifier, params = authorize(client, beta)  # SSO: no login form
    code = assert_code_redirect(response, beta, params["state"])
    second = claims_of(app, exchange(client, beta, code, verifier).get_json())
    assert first["sid"] == second["sid"]
    assert second["aud"] == ["beta"]
    cookie = client.get_cookie(app.config["SSO_COOKIE_NAME"]).value
    others = {first["sub"], second["sub"], cookie, *world.accounts.values()}
    assert first["sid"] not in others


def test_OIDC_Core_5_4_id_token_claims_follow_scope(app, client, world):
    claims = claims_of(app, log_in(client, world.schools["alpha"], "mari", scope="openid"))
    assert not {"name", "email", "roles", "schools"} & set(claims)

