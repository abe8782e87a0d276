"""PKCE (RFC 7636), S256 only and required for every client, confidential ones included
(RFC 9700 2.1.1)."""

import base64
import hashlib

import pytest

from tests.helpers import auth_params, pkce_pair
from tests.idp._protocol import (
    assert_code_redirect,
    assert_error_redirect,
    assert_oauth_error,
    code_for,
    exchange,
    log_in,
)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


# --- authorization request ----------------------------------------------------------------------

@pytest.mark.parametrize("challenge, method", [
    pytest.param(None, None, id="RFC9700-2.1.1-code_challenge-missing"),
    pytest.param(None, "S256", id="RFC7636-4.4.1-code_challenge-missing-with-method"),
    pytest.param("valid", None, id="RFC7636-4.3-method-missing-means-plain-rejected"),
    pytest.param("valid", "plain", id="RFC7636-4.4.1-plain-rejected"),
    pytest.param("valid", "s256", id="RFC7636-4.3-method-is-case-sensitive"),
    pytest.param("valid", "S512", id="RFC7636-4.4.1-unknown-method"),
    pytest.param("a" * 42, "S256", id="RFC7636-4.2-challenge-too-short"),
    pytest.param("a" * 129, "S256", id="RFC7636-4.2-challenge-too-long"),
    pytest.param(base64.b64encode(b"\xfb" * 32).decode(), "S256",
                 id="RFC7636-4.2-challenge-not-base64url"),
    pytest.param("ä" * 43, "S256", id="RFC7636-4.2-challenge-non-ascii"),
])
def test_RFC7636_4_4_1_bad_challenge_is_invalid_request(client, world, challenge, method):
    school = world.schools["alpha"]
    if challenge == "valid":
        challenge = pkce_pair()[1]
    params = auth_params(school, challenge, code_challenge_method=method)
    if challenge is None:
        params.pop("code_challenge", None)
    response = client.get("/authorize", query_string=params)
    assert_error_redirect(response, school, "invalid_request", params["state"])


def test_RFC9700_2_1_1_pkce_checked_before_silent_answer(client, world):
    """A live session must not let a request without PKCE through (prompt=none included)."""
    school = world.schools["alpha"]
    log_in(client, school, "mari")
    params = auth_params(school, "x", prompt="none")
    params.pop("code_challenge")
    response = client.get("/authorize", query_string=params)
    assert_error_redirect(response, school, "invalid_request", params["state"])


def test_RFC7636_4_4_S256_challenge_accepted(client, world):
    school = world.schools["alpha"]
    verifier = "A" * 43 + "-._~"
    log_in(client, school, "mari")
    params = auth_params(school, s256(verifier), prompt="none")
    code = assert_code_redirect(client.get("/authorize", query_string=params), school, params["state"])
    assert exchange(client, school, code, verifier).status_code == 200


# --- token request ------------------------------------------------------------------------------

@pytest.mark.parametrize("verifier, error", [
    pytest.param(None, "invalid_grant", id="RFC7636-4.5-verifier-missing"),
    pytest.param("", "invalid_grant", id="RFC7636-4.5-verifier-empty"),
    pytest.param("wrong", "invalid_grant", id="RFC7636-4.6-verifier-wrong"),
    pytest.param("challenge", "invalid_grant", id="RFC7636-4.6-challenge-sent-as-verifier"),
    pytest.param("a" * 42, "invalid_request", id="RFC7636-4.1-verifier-too-short"),
    pytest.param("a" * 129, "invalid_request", id="RFC7636-4.1-verifier-too-long"),
    pytest.param("a+b/c=" * 8, "invalid_request", id="RFC7636-4.1-verifier-bad-characters"),
])
def test_RFC7636_4_6_bad_verifier_refused(client, world, verifier, error):
    school = world.schools["alpha"]
    code, _, params = code_for(client, school, "mari")
    if verifier == "wrong":
        verifier = pkce_pair()[0]
    elif verifier == "challenge":
        verifier = params["code_challenge"]
    data = {"code_verifier": verifier} if verifier is not None else {}
    response = client.post("/token", auth=(school["client_id"], school["secret"]), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": school["redirect_uri"],
        **data})
    assert_oauth_error(response, 400, error)


def test_RFC7636_4_6_failed_verification_consumes_the_code(client, world):
    """A code whose verification failed cannot be retried: a thief guessing verifiers gets one try."""
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    assert_oauth_error(exchange(client, school, code, pkce_pair()[0]), 400, "invalid_grant")
    assert_oauth_error(exchange(client, school, code, verifier), 400, "invalid_grant")
