"""No input, however malformed, makes a director's page answer 5xx (the test app re-raises)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from tests.helpers import csrf_token

from .conftest import account

ODD = "ä€😀 \"'<>\\%00"
BIG = "x" * 20_000
VALUES = {"odd": ODD, "nul": "a\x00b", "big": BIG, "surrogate-escape": "%ED%A0%80", "empty": ""}
POSTS = ["", "/disable", "/enable", "/children", "/guardians", "/guardianships/1/remove"]
FIELDS = ["username", "given_name", "family_name", "email", "isikukood", "birthdate",
          "external_id", "roles", "child-username", "guardian-username"]


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
@pytest.mark.parametrize("suffix", POSTS)
def test_account_forms(app, dora, suffix, value):
    mari = account(app, "alpha", "mari")
    url = f"/admin/alpha/accounts/{mari.id}"
    token = csrf_token(dora.get(url).get_data(as_text=True))
    data = MultiDict([("csrf_token", token)] + [(f, value) for f in FIELDS] + [("roles", value)])
    assert dora.post(url + suffix, data=data).status_code < 500
    assert dora.post("/admin/alpha/accounts/new", data=data).status_code < 500


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
@pytest.mark.parametrize("path", ["/admin/alpha/accounts?q={v}&role={v}&status={v}&page={v}&per_page={v}",
                                  "/admin/alpha/audit?page={v}", "/admin/alpha/import/{v}",
                                  "/admin/alpha/accounts/{v}", "/admin/{v}/accounts", "/admin/{v}"])
def test_odd_urls(dora, path, value):
    assert dora.get(path.format(v=value)).status_code < 500


def test_odd_uploads(app, dora):
    from .test_admin_import import upload
    for content in (b"\x00" * 100, b"\xef\xbb\xbf", "a;b\n" * 10, b"\r\r\r", ";;;;\n" * 5,
                    "username,given_name,family_name,roles\n" + ("x," * 5000) + "\n",
                    "username;given_name;family_name;roles\n" + '"unterminated'):
        assert upload(dora, content).status_code in (303, 413, 422)
