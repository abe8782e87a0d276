"""Discovery and JWKS in front of Flask (idp/views/discovery.py ProtocolDocuments): the same
bodies, rendered once per key generation, ETag and 304, Cache-Control, the security headers, no
UI machinery; a key generated with the CLI is published at once, on another node too."""

from __future__ import annotations

import json

import pytest
from flask import jsonify

from idp import create_app
from idp.views.discovery import provider_metadata
from tests.conftest import TEST_CONFIG, close_app

PATHS = ["/.well-known/openid-configuration", "/jwks.json"]
OWN_KEYS = {"KEYS_DIR": "own-keys"}  # this test's keystore (relative: in its instance folder)


def expected_body(app, path: str) -> bytes:
    with app.app_context():
        data = provider_metadata(app.config["ISSUER"]) if path.startswith("/.well") \
            else app.extensions["keystore"].jwks()
        return jsonify(data).get_data()


@pytest.mark.parametrize("path", PATHS)
def test_the_body_is_what_flask_renders(app, client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_data() == expected_body(app, path)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"].startswith("public, max-age=")


@pytest.mark.parametrize("path", PATHS)
def test_security_headers_and_no_ui_machinery(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    # no session cookie, no locale or cookie variance
    assert "Set-Cookie" not in response.headers and "Vary" not in response.headers


@pytest.mark.parametrize("path", PATHS)
def test_RFC9110_etag_and_304(client, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == first.headers["Cache-Control"]
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("path", PATHS)
def test_HEAD_has_no_body_and_other_methods_reach_flask(client, path):
    head = client.head(path)
    assert head.status_code == 200 and head.get_data() == b""
    assert int(head.headers["Content-Length"]) == len(client.get(path).get_data())
    assert client.post(path).status_code == 405


@pytest.mark.parametrize("app_config", [OWN_KEYS], indirect=True)
def test_a_key_generated_with_the_cli_is_published_at_once_on_every_node(app, client, app_config):
    other = create_app({**TEST_CONFIG, **OWN_KEYS,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
                       instance_path=app.instance_path)
    try:
        before = client.get("/jwks.json")
        assert other.test_client().get("/jwks.json").headers["ETag"] == before.headers["ETag"]
        result = app.test_cli_runner().invoke(args=["keys", "generate", "--json"])
        assert result.exit_code == 0, result.output
        kid = json.loads(result.output)["generated"]["kid"]
        for node in (app, other):
            after = node.test_client().get("/jwks.json", headers={"If-None-Match": before.headers["ETag"]})
            assert after.status_code == 200
            assert kid in {k["kid"] for k in after.get_json()["keys"]}
            assert after.get_data() == expected_body(node, "/jwks.json")
    finally:
        close_app(other)
