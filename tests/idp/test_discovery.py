"""Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414, RFC 9207 3) and the JWKS."""

import pytest
from joserfc.jwk import KeySet

from tests.idp._protocol import ISSUER, log_in

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.fixture
def metadata(client):
    response = client.get("/.well-known/openid-configuration")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


@pytest.mark.parametrize("member", [
    "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
    "subject_types_supported", "id_token_signing_alg_values_supported",
])
def test_Discovery_3_required_members(metadata, member):
    assert metadata[member]


@pytest.mark.parametrize("member", [
    "userinfo_endpoint", "scopes_supported", "claims_supported", "end_session_endpoint",
    "revocation_endpoint",
])
def test_Discovery_3_recommended_members(metadata, member):
    assert metadata[member]


def test_Discovery_3_values(metadata):
    assert metadata["issuer"] == ISSUER
    assert "openid" in metadata["scopes_supported"]  # Discovery 3: MUST support openid
    assert metadata["response_types_supported"] == ["code"]
    assert {"authorization_code", "refresh_token"} <= set(metadata["grant_types_supported"])
    assert not {"implicit", "password"} & set(metadata["grant_types_supported"])
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]  # Discovery 3: MUST
    assert "none" not in metadata["id_token_signing_alg_values_supported"]
    assert metadata["subject_types_supported"] == ["pairwise"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {"client_secret_basic",
                                                                      "client_secret_post"}
    assert metadata["request_parameter_supported"] is False
    assert metadata["request_uri_parameter_supported"] is False


def test_RFC7636_6_2_code_challenge_methods_supported_is_S256_only(metadata):
    assert metadata["code_challenge_methods_supported"] == ["S256"]


def test_RFC9207_3_iss_parameter_supported(metadata):
    assert metadata["authorization_response_iss_parameter_supported"] is True


@pytest.mark.parametrize("host", ["evil.example", "idp.test:8443", "localhost"])
def test_Discovery_4_3_issuer_ignores_host_header(client, host):
    response = client.get("/.well-known/openid-configuration", headers={"Host": host})
    metadata = response.get_json()
    assert metadata["issuer"] == ISSUER
    for name, value in metadata.items():
        if name.endswith(("_endpoint", "_uri")):
            assert value.startswith(ISSUER + "/"), (name, value)


@pytest.mark.parametrize("member, path", [
    ("authorization_endpoint", "/authorize"), ("token_endpoint", "/token"),
    ("userinfo_endpoint", "/userinfo"), ("jwks_uri", "/jwks.json"),
    ("end_session_endpoint", "/logout"), ("revocation_endpoint", "/revoke"),
])
def test_Discovery_3_endpoints_exist(client, metadata, member, path):
    assert metadata[member] == ISSUER + path
    assert client.options(path).status_code == 200


def test_Discovery_3_scopes_and_claims_are_honest(metadata):
    from idp.oauth.claims import SCOPE_CLAIMS
    assert set(SCOPE_CLAIMS) <= set(metadata["scopes_supported"])
    for claims in SCOPE_CLAIMS.values():
        assert set(claims) <= set(metadata["claims_supported"])


# --- JWKS (RFC 7517) ---------------------------------------------------------------------------

@pytest.fixture
def jwks_response(client):
    response = client.get("/jwks.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response


def test_RFC7517_5_jwks_has_only_public_members(jwks_response):
    keys = jwks_response.get_json()["keys"]
    assert keys
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key), key
        assert key["kid"] and key["use"] == "sig" and key["alg"] in ("RS256", "ES256")
    assert len({key["kid"] for key in keys}) == len(keys)
    KeySet.import_key_set(jwks_response.get_json())  # valid JWK Set


def test_RFC7517_jwks_cache_control(app, jwks_response):
    assert app.config["JWKS_CACHE_SECONDS"] == 300
    assert jwks_response.headers["Cache-Control"] == "public, max-age=300"


def test_RFC7517_jwks_verifies_issued_id_tokens(client, world, jwks_response):
    from joserfc import jwt
    tokens = log_in(client, world.schools["alpha"], "mari")
    token = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks_response.get_json()))
    assert token.claims["iss"] == ISSUER
