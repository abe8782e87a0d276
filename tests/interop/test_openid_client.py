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

from tests.interop.conftest import PASSWORD, REDIRECT_URI, SECRET

HERE = Path(__file__).parent
pytestmark = pytest.mark.interop


def test_openid_client_code_flow_pkce_userinfo_refresh(live_idp):
    node = shutil.which("node")
    assert node, "Node.js is required for the interop tests"
    assert (HERE / "node_modules" / "openid-client").is_dir(), "run `make interop-deps` (npm ci)"
    result = subprocess.run(
        [node, str(HERE / "rp.mjs"), live_idp.url, "interop", SECRET, REDIRECT_URI, "mari", PASSWORD],
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
