"""Fixtures for the provisioning API: client-credentials tokens of the two schools."""

from __future__ import annotations

import pytest

from tests.helpers import SECRETS


def get_token(client, slug: str = "alpha", scope: str | None = None, **extra) -> dict:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {}), **extra}
    response = client.post("/token", data=data, auth=(slug, SECRETS[slug]))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


class Api:
    """The API as one school's Stuudium calls it."""

    def __init__(self, client, token: str):
        self.client, self.token = client, token

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.headers(), **kw)

    def put(self, path: str, body=None, **kw):
        return self.client.put(f"/api/v1{path}", json=body, headers=self.headers(), **kw)

    def post(self, path: str, **kw):
        return self.client.post(f"/api/v1{path}", headers=self.headers(), **kw)

    def delete(self, path: str, **kw):
        return self.client.delete(f"/api/v1{path}", headers=self.headers(), **kw)


@pytest.fixture
def alpha(client, world) -> Api:
    return Api(client, get_token(client, "alpha")["access_token"])


@pytest.fixture
def beta(client, world) -> Api:
    return Api(client, get_token(client, "beta")["access_token"])


def student(**change) -> dict:
    body = {"username": "kati.kask", "given_name": "Kati", "family_name": "Kask",
            "roles": ["student"]}
    body.update(change)
    return {k: v for k, v in body.items() if v is not ...}
