"""No request, however malformed, makes the API answer 5xx; every error is problem+json."""

from __future__ import annotations

import json

import pytest

from .conftest import student

ODD = "ä€😀 \"'<>\\%00"
BODIES = {
    "deep-nesting": "[" * 100_000,
    "huge-int": '{"username": ' + "9" * 5000 + "}",
    "not-utf8": b'{"username": "\xff\xfe"}',
    "nul-key": '{"\\u0000": 1}',
    "lone-surrogate": '{"username": "\\ud800", "given_name": "\\udfff"}',
    "nested-values": '{"username": {"a": [1]}, "given_name": [], "family_name": {}, "roles": [[]]}',
    "null-everything": '{"username": null, "given_name": null, "family_name": null, '
                       '"roles": null, "status": null}',
    "big": '{"username": "' + "a" * 70_000 + '"}',
    "bool-roles": '{"username": "abc", "given_name": "A", "family_name": "B", "roles": [true]}',
    "odd-strings": json.dumps({"username": ODD, "given_name": "x", "family_name": "y",
                               "roles": ["student"]}),
}


@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_odd_bodies(alpha, body):
    response = alpha.client.put("/api/v1/accounts/S1", data=body, headers={
        **alpha.headers(), "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("path", [
    "/accounts/" + ODD, "/accounts/%00", "/accounts/" + "x" * 5000, "/accounts?limit=" + "9" * 400,
    "/accounts?cursor=%00", "/accounts?cursor=" + "A" * 5000, "/accounts?limit=1&limit=2",
    "/accounts/%C0%AF", "/accounts/S1/students/" + ODD, "/../accounts", "/accounts/.%2e/x",
])
@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_odd_paths_and_methods(alpha, path, method):
    response = alpha.client.open(f"/api/v1{path}", method=method, json=student(),
                                 headers=alpha.headers())
    assert response.status_code < 500
    if response.status_code >= 400 and method != "HEAD":
        assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("header", [
    "Bearer " + "A" * 10_000, "Bearer a b c", "Bearer\x00x", "bearer lowercase-scheme",
    "Bearer ä", "Token abc", "Bearer =====",
])
def test_odd_authorization_headers(client, world, header):
    response = client.get("/api/v1/accounts", headers={"Authorization": header})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="schools-api"')
