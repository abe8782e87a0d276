"""RFC 6749 4.4: the client-credentials grant at /token, for the provisioning API."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import Token
from idp.models.grant import token_digest
from tests.helpers import SECRETS

from .conftest import get_token


def test_a_school_gets_a_token_with_every_api_scope_by_default(app, client, world):
    response = client.post("/token", data={"grant_type": "client_credentials"},
                           auth=("alpha", SECRETS["alpha"]))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["scope"] == "accounts:read accounts:write"
    # RFC 6749 4.4.3: no refresh token
    assert "refresh_token" not in body and "id_token" not in body
    assert body["expires_in"] == app.config["ACCESS_TOKEN_LIFETIME"]
    with app.app_context():
        token = db.session.scalar(db.select(Token))
        assert token.access_token_digest == token_digest(body["access_token"])
        assert token.account_id is None and token.session_id is None
        assert token.school.slug == "alpha"
        assert body["access_token"] not in repr(list(db.session.execute(db.select(Token.__table__))))


@pytest.mark.parametrize("scope, granted", [
    ("accounts:read", "accounts:read"),
    ("accounts:write", "accounts:write"),
    ("accounts:write accounts:read", "accounts:read accounts:write"),
])
def test_a_narrower_scope(client, world, scope, granted):
    assert get_token(client, scope=scope)["scope"] == granted


@pytest.mark.parametrize("scope", ["openid", "accounts:read openid", "accounts:admin", "profile"])
def test_other_scopes_are_refused(client, world, scope):
    """RFC 6749 3.3 / 5.2: invalid_scope."""
    response = client.post("/token", data={"grant_type": "client_credentials", "scope": scope},
                           auth=("alpha", SECRETS["alpha"]))
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_scope"


def test_client_secret_post_works_too(client, world):
    response = client.post("/token", data={"grant_type": "client_credentials", "client_id": "beta",
                                           "client_secret": SECRETS["beta"]})
    assert response.status_code == 200


@pytest.mark.parametrize("auth", [("alpha", "wrong"), ("nobody", "x"), None])
def test_client_authentication_is_required(client, world, auth):
    """RFC 6749 4.4.2: the authorization server MUST authenticate the client."""
    response = client.post("/token", data={"grant_type": "client_credentials"}, auth=auth)
    assert response.status_code in (400, 401)
    assert response.get_json()["error"] == "invalid_client"


def test_a_disabled_school_gets_no_token(app, client, world):
    from idp.services import schools as school_service
    with app.app_context():
        school_service.get("alpha").enabled = False
        db.session.commit()
    response = client.post("/token", data={"grant_type": "client_credentials"},
                           auth=("alpha", SECRETS["alpha"]))
    assert response.status_code == 401
