"""Interop: panva's openid-client (Node, pinned in package-lock.json) against the running IdP.

Discovery, authorization code + PKCE S256, RFC 9207 iss check, ID token validation, userinfo,
refresh with rotation and replay refusal — all judged by a client we did not write.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from idp.extensions import db
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.conftest import close_app, make_app
from tests.e2e.servers import bind

HERE = Path(__file__).parent
pytestmark = pytest.mark.interop


@pytest.fixture
def live_idp(tmp_path, postgres_base_url, shared_keys_dir):
    served = bind()
    app = make_app(tmp_path, postgres_base_url, shared_keys_dir, ISSUER=served.url)
    with app.app_context():
        school, _ = school_service.add(
            slug="interop", name="Interop Kool", allow_http=True, client_secret="interop-secret-0123456789",
            redirect_uris=["http://127.0.0.1:9/cb"], post_logout_redirect_uris=["http://127.0.0.1:9/"])
        account_service.add(school, username="mari", given_name="Mari", family_name="Maasikas",
                            roles=["parent"], email="mari@example.ee", password="interop password")
        db.session.commit()
    served.attach(app)
    yield served
    served.stop()
    close_app(app)


def test_openid_client_code_flow_pkce_userinfo_refresh(live_idp):
    node = shutil.which("node")
    assert node, "Node.js is required for the interop tests"
    assert (HERE / "node_modules" / "openid-client").is_dir(), "run `make interop-deps` (npm ci)"
    result = subprocess.run(
        [node, str(HERE / "rp.mjs"), live_idp.url, "interop", "interop-secret-0123456789",
         "http://127.0.0.1:9/cb", "mari", "interop password"],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["issuer"] == live_idp.url
    assert out["id_token_claims"]["name"] == "Mari Maasikas"
    assert out["userinfo"]["sub"] == out["sub"]
    assert out["userinfo"]["roles"] == ["parent"]
    assert out["refreshed"] is True
    assert out["userinfo_after_refresh_sub"] == out["sub"]
    assert out["replay_error"] == "invalid_grant"
