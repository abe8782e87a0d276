"""RFC 6750 bearer tokens at /api/v1: 401/403 with WWW-Authenticate, scopes, and tenant binding."""

from __future__ import annotations

import datetime as dt

import pytest

from idp.extensions import db
from idp.models import Token
from idp.models._types import utcnow
from idp.services import schools as school_service
from tests.helpers import SECRETS, login_and_get_tokens

from .conftest import Api, get_token, student

ENDPOINTS = [
    ("GET", "/accounts", "accounts:read"),
    ("GET", "/accounts/S1", "accounts:read"),
    ("PUT", "/accounts/S1", "accounts:write"),
    ("DELETE", "/accounts/S1", "accounts:write"),
    ("POST", "/accounts/S1/disable", "accounts:write"),
    ("POST", "/accounts/S1/enable", "accounts:write"),
    ("PUT", "/accounts/P1/students/S1", "accounts:write"),
    ("DELETE", "/accounts/P1/students/S1", "accounts:write"),
]
IDS = [f"{m}-{p}" for m, p, _ in ENDPOINTS]


def call(client, method: str, path: str, headers: dict):
    body = student() if method == "PUT" and "students" not in path else None
    return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


@pytest.mark.parametrize("method, path, scope", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("authorization", [None, "Basic YWxwaGE6eA==", "Bearer", "Bearer  "],
                         ids=["none", "basic", "empty", "blank"])
def test_without_a_bearer_token_401_with_a_bare_challenge(client, world, method, path, scope, authorization):
    """RFC 6750 3.1: no credentials, no error code in the challenge."""
    headers = {"Authorization": authorization} if authorization else {}
    response = call(client, method, path, headers)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="schools-api"'


@pytest.mark.parametrize("method, path, scope", ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("token", ["unknown-token", "bad token!", "ä" * 10],
                         ids=["unknown", "malformed", "non-ascii"])
def test_an_invalid_token_is_401_invalid_token(client, world, method, path, scope, token):
    response = call(client, method, path, {"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="schools-api", error="invalid_token"')


@pytest.mark.parametrize("method, path, scope", ENDPOINTS, ids=IDS)
def test_a_token_without_the_scope_is_403_insufficient_scope(client, world, method, path, scope):
    other = "accounts:write" if scope == "accounts:read" else "accounts:read"
    token = get_token(client, scope=other)["access_token"]
    response = call(client, method, path, {"Authorization": f"Bearer {token}"})
    body = assert_problem(response, 403)
    assert scope in body["detail"]
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="schools-api", error="insufficient_scope", '
        f'error_description="The scope {scope} is required.", scope="{scope}"')


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_an_expired_token(app, client, world):
    token = get_token(client)["access_token"]
    with app.app_context():
        row = db.session.scalar(db.select(Token))
        row.access_expires_at = utcnow() - dt.timedelta(seconds=1)
        db.session.commit()
    response = client.get("/api/v1/accounts", headers=bearer(token))
    assert_problem(response, 401)
    assert 'error_description="The access token has expired."' in response.headers["WWW-Authenticate"]


def test_a_revoked_token(client, world):
    """RFC 7009: the school may revoke its token at /revoke."""
    token = get_token(client)["access_token"]
    assert client.get("/api/v1/accounts", headers=bearer(token)).status_code == 200
    revoked = client.post("/revoke", data={"token": token}, auth=("alpha", SECRETS["alpha"]))
    assert revoked.status_code == 200
    assert_problem(client.get("/api/v1/accounts", headers=bearer(token)), 401)


def test_a_persons_access_token_is_not_an_api_token(client, world):
    """A token from the authorization-code flow acts for a person, never for the school."""
    tokens = login_and_get_tokens(client, world.schools["alpha"], "mari")
    response = client.get("/api/v1/accounts", headers=bearer(tokens["access_token"]))
    assert_problem(response, 401)


def test_a_disabled_schools_tokens_stop_working(app, client, world):
    token = get_token(client)["access_token"]
    with app.app_context():
        school_service.get("alpha").enabled = False
        db.session.commit()
    assert_problem(client.get("/api/v1/accounts", headers=bearer(token)), 401)


def test_the_token_binds_the_school(client, alpha, beta):
    """A token of school A can never read or write school B: ids are looked up in the token's
    school only, so the same external id names different accounts."""
    assert alpha.put("/accounts/S1", student()).status_code == 201
    assert alpha.put("/accounts/P1", student(username="mari.kask", roles=["parent"])).status_code == 201
    assert beta.get("/accounts/S1").status_code == 404
    assert beta.delete("/accounts/S1").status_code == 404
    assert beta.post("/accounts/S1/disable").status_code == 404
    assert beta.put("/accounts/P1/students/S1").status_code == 404
    assert [a["username"] for a in beta.get("/accounts").get_json()["items"]] == ["mari"]
    # the same external id at beta is another account
    made = beta.put("/accounts/S1", student(given_name="Beeta"))
    assert made.status_code == 201
    assert alpha.get("/accounts/S1").get_json()["given_name"] == "Kati"
    assert alpha.get("/accounts/S1").get_json()["sub"] != made.get_json()["sub"]
    assert alpha.get("/accounts/S1").get_json()["status"] == "active"


def test_guardianship_across_schools_is_impossible(alpha, beta):
    assert alpha.put("/accounts/P1", student(username="mari.kask", roles=["parent"])).status_code == 201
    assert beta.put("/accounts/S9", student()).status_code == 201
    assert alpha.put("/accounts/P1/students/S9").status_code == 404
    assert alpha.get("/accounts/P1").get_json()["students"] == []


def test_write_scope_alone_can_write(client, world):
    api = Api(client, get_token(client, scope="accounts:write")["access_token"])
    assert api.put("/accounts/S1", student()).status_code == 201
