"""Token revocation (RFC 7009)."""

import pytest

from tests.idp._protocol import assert_oauth_error, log_in, refresh, revoke, userinfo


@pytest.fixture
def tokens(client, world):
    return log_in(client, world.schools["alpha"], "mari")


@pytest.mark.parametrize("hint", [
    pytest.param(None, id="RFC7009-2.1-no-hint"),
    pytest.param("access_token", id="RFC7009-2.1-right-hint"),
    pytest.param("refresh_token", id="RFC7009-2.1-wrong-hint-is-only-a-hint"),
])
def test_RFC7009_2_1_revoke_access_token(client, world, tokens, hint):
    extra = {"token_type_hint": hint} if hint else {}
    response = revoke(client, world.schools["alpha"], tokens["access_token"], **extra)
    assert response.status_code == 200
    info = userinfo(client, tokens["access_token"])
    assert info.status_code == 401 and info.get_json()["error"] == "invalid_token"


@pytest.mark.parametrize("hint", [
    pytest.param(None, id="RFC7009-2.1-no-hint"),
    pytest.param("refresh_token", id="RFC7009-2.1-right-hint"),
    pytest.param("access_token", id="RFC7009-2.1-wrong-hint-is-only-a-hint"),
])
def test_RFC7009_2_1_revoke_refresh_token_ends_the_family(client, world, tokens, hint):
    school = world.schools["alpha"]
    newest = refresh(client, school, tokens["refresh_token"]).get_json()
    extra = {"token_type_hint": hint} if hint else {}
    assert revoke(client, school, newest["refresh_token"], **extra).status_code == 200
    assert_oauth_error(refresh(client, school, newest["refresh_token"]), 400, "invalid_grant")
    # RFC 7009 2.1: the access tokens of the same grant SHOULD go too
    assert userinfo(client, newest["access_token"]).status_code == 401


def test_RFC7009_2_1_revoke_keeps_other_grants(app, client, world, tokens):
    school = world.schools["alpha"]
    other = log_in(app.test_client(), school, "juhan")
    revoke(client, school, tokens["refresh_token"])
    assert userinfo(client, other["access_token"]).status_code == 200
    assert refresh(client, school, other["refresh_token"]).status_code == 200


@pytest.mark.parametrize("token", [
    pytest.param("no-such-token", id="RFC7009-2.2-unknown-token-is-200"),
    pytest.param("", id="RFC7009-2.2-empty-token-is-200"),
])
def test_RFC7009_2_2_unknown_token_is_200(client, world, token):
    response = revoke(client, world.schools["alpha"], token)
    assert response.status_code == 200


def test_RFC7009_2_2_revoking_twice_is_200(client, world, tokens):
    school = world.schools["alpha"]
    assert revoke(client, school, tokens["refresh_token"]).status_code == 200
    assert revoke(client, school, tokens["refresh_token"]).status_code == 200


def test_RFC7009_2_1_client_must_authenticate(client, world, tokens):
    response = client.post("/revoke", data={"token": tokens["access_token"]})
    assert_oauth_error(response, 401, "invalid_client")
    response = client.post("/revoke", data={"token": tokens["access_token"]}, auth=("alpha", "wrong"))
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    assert userinfo(client, tokens["access_token"]).status_code == 200


def test_RFC7009_2_1_client_secret_post(client, world, tokens):
    school = world.schools["alpha"]
    response = client.post("/revoke", data={"token": tokens["access_token"], "client_id": "alpha",
                                            "client_secret": school["secret"]})
    assert response.status_code == 200
    assert userinfo(client, tokens["access_token"]).status_code == 401


@pytest.mark.parametrize("kind", ["access_token", "refresh_token"])
def test_RFC7009_2_1_token_of_another_client_is_refused_and_kept(client, world, tokens, kind):
    response = revoke(client, world.schools["beta"], tokens[kind])
    assert_oauth_error(response, 400, "invalid_grant")
    assert userinfo(client, tokens["access_token"]).status_code == 200
    assert refresh(client, world.schools["alpha"], tokens["refresh_token"]).status_code == 200


def test_RFC7009_2_2_1_unsupported_token_type_hint(client, world, tokens):
    response = revoke(client, world.schools["alpha"], tokens["access_token"], token_type_hint="id_token")
    # RFC 7009 2.2.1: an RFC 6749 5.2 error response, i.e. 400
    assert_oauth_error(response, 400, "unsupported_token_type")
    assert userinfo(client, tokens["access_token"]).status_code == 200


def test_RFC7009_2_1_missing_token_is_invalid_request(client, world):
    response = client.post("/revoke", data={}, auth=("alpha", world.schools["alpha"]["secret"]))
    assert_oauth_error(response, 400, "invalid_request")


def test_RFC7009_2_1_revocation_endpoint_is_post_only(client, world, tokens):
    response = client.get("/revoke", query_string={"token": tokens["access_token"]},
                          auth=("alpha", world.schools["alpha"]["secret"]))
    assert response.status_code == 405
    assert userinfo(client, tokens["access_token"]).status_code == 200
