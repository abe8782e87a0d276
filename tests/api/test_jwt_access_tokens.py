"""RFC 9068 JWT access tokens for the API, asked for with RFC 8707 ``resource``."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt

from idp.extensions import db
from idp.models import Token
from idp.oauth.oidc import sign_jwt
from idp.services import schools as school_service
from tests.helpers import SECRETS, login_and_get_tokens

from .conftest import Api, get_token, student

RESOURCE = "http://localhost:5000/api/v1"


@pytest.fixture
def resource(app) -> str:
    return app.config["ISSUER"].rstrip("/") + "/api/v1"


def jwt_token(client, resource: str, slug: str = "alpha", **extra) -> dict:
    return get_token(client, slug, resource=resource, **extra)


def claims_of(app, token: str) -> tuple[dict, dict]:
    with app.app_context():
        decoded = jwt.decode(token, app.extensions["keystore"].verification_keys(), algorithms=["RS256"])
    return dict(decoded.header), dict(decoded.claims)


def test_resource_gives_a_signed_jwt_and_stores_nothing(app, client, world, resource):
    body = jwt_token(client, resource, scope="accounts:read")
    assert body["token_type"] == "Bearer" and body["scope"] == "accounts:read"
    assert body["expires_in"] == app.config["ACCESS_TOKEN_LIFETIME"] and "refresh_token" not in body
    header, claims = claims_of(app, body["access_token"])
    # RFC 9068 §2.1-2.2
    assert header["typ"] == "at+jwt" and header["kid"] and header["alg"] == "RS256"
    assert claims["iss"] == app.config["ISSUER"] and claims["aud"] == resource
    assert claims["sub"] == claims["client_id"] == "alpha" and claims["scope"] == "accounts:read"
    assert claims["exp"] - claims["iat"] == app.config["ACCESS_TOKEN_LIFETIME"] and claims["jti"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Token)) == 0


def test_the_api_accepts_it_bound_to_the_school(client, world, resource):
    alpha = Api(client, jwt_token(client, resource)["access_token"])
    beta = Api(client, jwt_token(client, resource, "beta")["access_token"])
    assert alpha.put("/accounts/S1", student()).status_code == 201
    assert alpha.get("/accounts/S1").status_code == 200
    assert beta.get("/accounts/S1").status_code == 404


def test_scope_is_enforced(client, world, resource):
    reader = Api(client, jwt_token(client, resource, scope="accounts:read")["access_token"])
    response = reader.put("/accounts/S1", student())
    assert response.status_code == 403 and 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("resources", [["https://elsewhere.example/api"], [RESOURCE + "/"],
                                       [RESOURCE, "https://elsewhere.example/api"]])
def test_an_unknown_resource_is_invalid_target(client, world, resources):
    """RFC 8707 §2: invalid_target."""
    response = client.post("/token", data={"grant_type": "client_credentials", "resource": resources},
                           auth=("alpha", SECRETS["alpha"]))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_target"


def test_a_disabled_school_stops_its_jwts_at_once(app, client, world, resource):
    alpha = Api(client, jwt_token(client, resource)["access_token"])
    assert alpha.get("/accounts").status_code == 200
    with app.app_context():
        school_service.get("alpha").enabled = False
        db.session.commit()
    assert alpha.get("/accounts").status_code == 401


def forged(app, resource: str, typ: str = "at+jwt", **change) -> str:
    now = int(time.time())
    claims = {"iss": app.config["ISSUER"], "sub": "alpha", "client_id": "alpha", "aud": resource,
              "iat": now, "exp": now + 60, "jti": "j", "scope": "accounts:read accounts:write", **change}
    claims = {k: v for k, v in claims.items() if v is not None}
    with app.test_request_context():
        return sign_jwt(claims, typ=typ)


@pytest.mark.parametrize("typ, change, detail", [
    ("JWT", {}, "not valid"),                          # an ID token is not an access token
    ("logout+jwt", {}, "not valid"),
    ("at+jwt", {"aud": "alpha"}, "not valid"),         # audience is the school, not the API
    ("at+jwt", {"iss": "https://evil.example"}, "not valid"),
    ("at+jwt", {"client_id": None}, "not valid"),
    ("at+jwt", {"sub": "beta"}, "not valid"),
    ("at+jwt", {"scope": None}, "not valid"),
    ("at+jwt", {"exp": 1_000}, "expired"),
    ("at+jwt", {"client_id": "nobody", "sub": "nobody"}, "not valid"),
])
def test_what_the_api_refuses(app, client, world, resource, typ, change, detail):
    response = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {forged(app, resource, typ, **change)}"})
    assert response.status_code == 401 and detail in response.get_json()["detail"]


def test_a_tampered_jwt_is_refused(client, world, resource):
    token = jwt_token(client, resource)["access_token"]
    header, payload, signature = token.split(".")
    response = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {header}.{payload}x.{signature}"})
    assert response.status_code == 401


def test_a_persons_id_token_is_not_an_api_token(client, world):
    tokens = login_and_get_tokens(client, world.schools["alpha"], "mari")
    response = client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {tokens['id_token']}"})
    assert response.status_code == 401


def test_without_resource_the_token_stays_opaque(client, world):
    assert get_token(client)["access_token"].count(".") == 0
