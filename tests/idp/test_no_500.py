"""No request, however malformed, may make an endpoint answer 5xx (or raise: the test app
propagates exceptions). Every answer must be 2xx, 3xx or 4xx."""

import base64
import hashlib

import pytest
from werkzeug.datastructures import MultiDict

from tests.helpers import auth_params, pkce_pair
from tests.idp._protocol import log_in

# 10 kB that does not compress (the UI cookie is zlib-compressed before the 4 kB check)
BIG = base64.urlsafe_b64encode(b"".join(hashlib.sha256(bytes([i, j])).digest()
                                        for i in range(16) for j in range(15))).decode()[:10_000]
ODD = "ä€😀 \"'<>\\%00"
NUL = "a\x00b"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def authz(**change):
    """Query items for /authorize: a valid alpha request with ``change`` applied (a list value
    repeats the parameter, None drops it)."""
    params = auth_params({"client_id": "alpha", "redirect_uri": "https://alpha.school.test/cb"},
                         pkce_pair()[1])
    items = []
    for name, value in {**params, **change}.items():
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            items.append((name, one))
    return items


AUTHORIZE = {
    "redirect_uri-non-ascii": authz(redirect_uri="https://alpha.school.test/cb/ä"),
    "redirect_uri-10kB": authz(redirect_uri="https://alpha.school.test/cb?" + BIG),
    "redirect_uri-nul": authz(redirect_uri="https://alpha.school.test/cb" + NUL),
    "client_id-non-ascii": authz(client_id=ODD),
    "client_id-10kB": authz(client_id=BIG),
    "client_id-nul": authz(client_id=NUL),
    "state-non-ascii": authz(state=ODD),
    "state-10kB": authz(state=BIG),
    "scope-non-ascii": authz(scope="openid " + ODD),
    "scope-10kB": authz(scope="openid " + BIG),
    "scope-empty": authz(scope=""),
    "response_type-non-ascii": authz(response_type=ODD),
    "response_type-10kB": authz(response_type=BIG),
    "nonce-non-ascii": authz(nonce=ODD),
    "nonce-10kB": authz(nonce=BIG),
    "nonce-nul": authz(nonce=NUL),
    "prompt-garbage": authz(prompt=ODD),
    "prompt-10kB": authz(prompt=BIG),
    "max_age-huge": authz(max_age="9" * 400),
    "max_age-garbage": authz(max_age=ODD),
    "id_token_hint-garbage": authz(id_token_hint="a.b.c"),
    "id_token_hint-non-ascii": authz(id_token_hint=ODD),
    "id_token_hint-bad-json": authz(id_token_hint=b64(b"{") + "." + b64(b"{") + ".x"),
    "id_token_hint-alg-none": authz(id_token_hint=b64(b'{"alg":"none"}') + "." + b64(b"{}") + "."),
    "id_token_hint-10kB": authz(id_token_hint=BIG),
    "login_hint-10kB": authz(login_hint=BIG),
    "login_hint-non-ascii": authz(login_hint=ODD),
    "ui_locales-garbage": authz(ui_locales=ODD),
    "code_challenge-non-ascii": authz(code_challenge=ODD * 5),
    "code_challenge-10kB": authz(code_challenge=BIG),
    "code_challenge_method-garbage": authz(code_challenge_method=ODD),
    "request-garbage": authz(request=ODD),
    "everything-repeated": [(k, v) for pair in zip(authz(), authz(), strict=True) for k, v in pair],
    "interaction-garbage": authz(interaction=ODD),
    "unknown-parameter-non-ascii-10kB": authz(**{ODD: BIG}),
    "no-parameters": [],
}


@pytest.mark.parametrize("method, session", [("GET", False), ("GET", True), ("POST", False)],
                         ids=["GET-no-session", "GET-session", "POST-no-session"])
@pytest.mark.parametrize("items", AUTHORIZE.values(), ids=AUTHORIZE.keys())
def test_authorize_never_5xx(client, world, items, method, session):
    if session:
        log_in(client, world.schools["alpha"], "mari")
    if method == "GET":
        response = client.get("/authorize", query_string=MultiDict(items))
    else:
        response = client.post("/authorize", data=MultiDict(items))
    assert response.status_code < 500


SECRET = "alpha-secret-" + "a" * 32
TOKEN_HEADERS = {
    "basic-not-base64": {"Authorization": "Basic !!!"},
    "basic-not-utf8": {"Authorization": "Basic " + b64(b"\xff\xfe:\xff")},
    "basic-no-colon": {"Authorization": "Basic " + b64(b"alpha")},
    "basic-empty-secret": {"Authorization": "Basic " + b64(b"alpha:")},
    "basic-bad-percent": {"Authorization": "Basic " + b64(b"alpha%zz:%")},
    "basic-nul-client": {"Authorization": "Basic " + b64(b"al\x00pha:" + SECRET.encode())},
    "basic-10kB": {"Authorization": "Basic " + b64(BIG.encode() + b":" + BIG.encode())},
    "basic-scheme-only": {"Authorization": "Basic"},
    "bearer-instead": {"Authorization": "Bearer abc"},
    "latin1-header": {"Authorization": "Basic äää"},
}
TOKEN_BODIES = {
    "empty": {},
    "grant_type-non-ascii": {"grant_type": ODD},
    "grant_type-repeated": [("grant_type", "authorization_code"), ("grant_type", "refresh_token")],
    "code-non-ascii": {"grant_type": "authorization_code", "code": ODD, "code_verifier": ODD},
    "code-10kB": {"grant_type": "authorization_code", "code": BIG, "redirect_uri": BIG},
    "refresh-non-ascii": {"grant_type": "refresh_token", "refresh_token": ODD, "scope": ODD},
    "refresh-10kB": {"grant_type": "refresh_token", "refresh_token": BIG, "scope": BIG},
    "post-auth-nul": {"grant_type": "refresh_token", "refresh_token": "x", "client_id": NUL,
                      "client_secret": NUL},
    "post-auth-10kB": {"grant_type": "refresh_token", "refresh_token": "x", "client_id": BIG,
                       "client_secret": BIG},
}


@pytest.mark.parametrize("path", ["/token", "/revoke"])
@pytest.mark.parametrize("headers", TOKEN_HEADERS.values(), ids=TOKEN_HEADERS.keys())
def test_client_authentication_never_5xx(client, world, path, headers):
    response = client.post(path, headers=headers, data={"grant_type": "authorization_code",
                                                        "code": "x", "token": "x"})
    assert response.status_code < 500


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "authenticated"])
@pytest.mark.parametrize("body", TOKEN_BODIES.values(), ids=TOKEN_BODIES.keys())
def test_token_never_5xx(client, world, body, authenticated):
    auth = ("alpha", SECRET) if authenticated else None
    assert client.post("/token", data=MultiDict(body), auth=auth).status_code < 500


@pytest.mark.parametrize("kind, payload", [
    pytest.param("json", {"grant_type": "authorization_code", "code": "x"}, id="json-object"),
    pytest.param("json", ["not", "an", "object"], id="json-array"),
    pytest.param("raw", b"\xff\xfe\x00garbage", id="binary-body"),
    pytest.param("raw", b"grant_type=%ZZ&code=%", id="broken-urlencoding"),
])
@pytest.mark.parametrize("path", ["/token", "/revoke", "/userinfo", "/logout", "/authorize"])
def test_odd_bodies_never_5xx(client, world, path, kind, payload):
    if kind == "json":
        response = client.post(path, json=payload, auth=("alpha", SECRET))
    else:
        response = client.post(path, data=payload, auth=("alpha", SECRET),
                               content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500


REVOKE_BODIES = {
    "empty": {},
    "token-non-ascii": {"token": ODD},
    "token-10kB": {"token": BIG},
    "hint-garbage": {"token": "x", "token_type_hint": ODD},
    "repeated": [("token", "a"), ("token", "b"), ("token_type_hint", "access_token")],
}


@pytest.mark.parametrize("body", REVOKE_BODIES.values(), ids=REVOKE_BODIES.keys())
def test_revoke_never_5xx(client, world, body):
    assert client.post("/revoke", data=MultiDict(body), auth=("alpha", SECRET)).status_code < 500


USERINFO_HEADERS = {
    "bearer-empty": {"Authorization": "Bearer"},
    "bearer-spaces": {"Authorization": "Bearer    "},
    "bearer-two-tokens": {"Authorization": "Bearer a b"},
    "bearer-latin1": {"Authorization": "Bearer äöü"},
    "bearer-10kB": {"Authorization": "Bearer " + BIG},
    "lowercase-scheme": {"Authorization": "bearer abc"},
    "unknown-scheme": {"Authorization": "DPoP abc"},
    "basic": {"Authorization": "Basic " + b64(b"alpha:x")},
}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("headers", USERINFO_HEADERS.values(), ids=USERINFO_HEADERS.keys())
def test_userinfo_never_5xx(client, world, headers, method):
    assert client.open("/userinfo", method=method, headers=headers).status_code < 500


LOGOUT = {
    "hint-garbage": {"id_token_hint": "a.b.c"},
    "hint-non-ascii": {"id_token_hint": ODD},
    "hint-10kB": {"id_token_hint": BIG},
    "hint-alg-none": {"id_token_hint": b64(b'{"alg":"none"}') + "." + b64(b'{"iss":"x"}') + "."},
    "client_id-unknown": {"client_id": ODD, "post_logout_redirect_uri": "https://x.example/"},
    "client_id-nul": {"client_id": NUL, "post_logout_redirect_uri": "https://alpha.school.test/bye"},
    "redirect-non-ascii": {"client_id": "alpha", "post_logout_redirect_uri": "https://ä.example/"},
    "redirect-10kB": {"client_id": "alpha", "post_logout_redirect_uri": BIG, "state": BIG},
    "state-non-ascii": {"client_id": "alpha", "state": ODD},
    "confirm-without-csrf": {"confirm": "1", "csrf_token": ODD},
    "repeated": [("client_id", "alpha"), ("client_id", "beta"), ("state", "a"), ("state", "b")],
}


@pytest.mark.parametrize("session", [False, True], ids=["no-session", "session"])
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("params", LOGOUT.values(), ids=LOGOUT.keys())
def test_logout_never_5xx(client, world, params, method, session):
    if session:
        log_in(client, world.schools["alpha"], "mari")
    if method == "GET":
        response = client.get("/logout", query_string=MultiDict(params))
    else:
        response = client.post("/logout", data=MultiDict(params))
    assert response.status_code < 500


@pytest.mark.parametrize("method, path", [
    ("PUT", "/authorize"), ("DELETE", "/authorize"), ("GET", "/token"), ("PUT", "/token"),
    ("GET", "/revoke"), ("DELETE", "/userinfo"), ("PUT", "/logout"),
    ("POST", "/.well-known/openid-configuration"), ("POST", "/jwks.json"), ("PATCH", "/jwks.json"),
    ("GET", "/.well-known/openid-configuration/x"), ("GET", "/login/" + "x" * 300),
    ("POST", "/login/nope"), ("GET", "/authorize/"), ("HEAD", "/jwks.json"),
])
def test_wrong_methods_and_paths_never_5xx(client, method, path):
    assert client.open(path, method=method).status_code < 500
