"""The /oidc blueprint: login, callback, third-party initiated login (fake IdP behind `responses`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient

from schools_client.errors import ConfigurationError
from schools_client.sessions import MemorySessionStore
from schools_client.testing import FakeIssuer
from schools_client.web import SchoolsOIDC

from .conftest import BASE, CLIENT_ID, ISSUER, Clock
from .flow import begin, finish, query
from .school_app import COOKIE, cookie, do_login, make_app

# --- login --------------------------------------------------------------------


def test_login_redirect_has_pkce_state_nonce(rsps: responses.RequestsMock, idp: FakeIssuer,
                                            client: FlaskClient) -> None:
    idp.register(rsps, jwks=False)
    resp = client.get("/oidc/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith(idp.authorization_endpoint + "?")
    q = query(resp.headers["Location"])
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 43 and len(q["nonce"]) >= 43
    assert q["redirect_uri"] == f"{BASE}/oidc/callback" and q["client_id"] == CLIENT_ID
    assert q["ui_locales"] == "en et"
    assert "no-store" in resp.headers["Cache-Control"]
    set_cookie = resp.headers["Set-Cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    for attr in ("HttpOnly", "SameSite=Lax", "Secure", "Path=/"):
        assert attr in set_cookie


def test_callback_creates_fresh_session(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                                        app_oidc: tuple[Flask, SchoolsOIDC], clock: Clock) -> None:
    oidc = app_oidc[1]
    idp.register(rsps)
    auth = begin(client)
    pre_login_id = cookie(client)
    assert pre_login_id and oidc.store.get(pre_login_id) is not None
    resp = finish(client, rsps, idp, auth, client_id=CLIENT_ID, now=clock.now, userinfo={"name": "Mari Maasikas"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    new_id = cookie(client)
    assert new_id and new_id != pre_login_id, "session fixation: the id must change at login"
    assert oidc.store.get(pre_login_id) is None
    record = oidc.store.get(new_id)
    assert record is not None and (record.sub, record.sid) == ("isik-1", "sid-1")
    assert record.data["id_token"] and record.data["access_token"] and record.data["csrf"]
    assert client.get("/").get_data(as_text=True).startswith("user=isik-1 name=Mari Maasikas")


def test_login_state_is_single_use(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                                   clock: Clock) -> None:
    idp.register(rsps)
    auth = begin(client)
    assert finish(client, rsps, idp, auth, client_id=CLIENT_ID, now=clock.now).status_code == 302
    replay = client.get("/oidc/callback", query_string={"code": "c", "state": auth["state"], "iss": ISSUER})
    assert replay.status_code == 400


def test_callback_without_session_is_friendly_400(client: FlaskClient) -> None:
    resp = client.get("/oidc/callback", query_string={"code": "c", "state": "forged", "iss": ISSUER})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert '<html lang="et">' in html and "Sisselogimine aegus" in html and 'lang="en"' in html
    assert "Sign-in expired" in html and "state_mismatch" in html
    assert "no-store" in resp.headers["Cache-Control"]
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


CALLBACK_ERRORS = [
    ("RFC6749-4.1.2.1-login-required", {"error": "login_required"}, "Palun logige sisse"),
    ("RFC6749-4.1.2.1-access-denied", {"error": "access_denied"}, "Sisselogimine katkestati"),
    ("RFC9207-iss-mismatch", {"iss": "https://evil.example", "code": "c"}, "iss_mismatch"),
    ("RFC9207-iss-missing", {"iss": None, "code": "c"}, "iss_missing"),
]


@pytest.mark.parametrize(("params", "text"), [c[1:] for c in CALLBACK_ERRORS], ids=[c[0] for c in CALLBACK_ERRORS])
def test_callback_error_pages(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                              params: dict[str, Any], text: str) -> None:
    idp.register(rsps, jwks=False)
    auth = begin(client)
    qs = {k: v for k, v in ({"state": auth["state"], "iss": ISSUER} | params).items() if v is not None}
    resp = client.get("/oidc/callback", query_string=qs)
    assert resp.status_code == 400
    assert text in resp.get_data(as_text=True)
    assert cookie(client) is not None and client.get("/").get_data(as_text=True).startswith("user=None")


@pytest.mark.parametrize(("claims", "code"), [({"nonce": "forged"}, "nonce_mismatch"),
                                              ({"audience": "other-school"}, "aud_mismatch")],
                         ids=["OIDC-Core-3.1.3.7-11-nonce", "OIDC-Core-3.1.3.7-3-aud"])
def test_callback_bad_id_token_is_400(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                                      clock: Clock, claims: dict[str, Any], code: str) -> None:
    idp.register(rsps)
    auth = begin(client)
    body = idp.token_response(**({"audience": CLIENT_ID, "nonce": auth["nonce"], "now": clock.now} | claims))
    rsps.post(idp.token_endpoint, json=body)
    resp = client.get("/oidc/callback", query_string={"code": "c", "state": auth["state"], "iss": ISSUER})
    assert resp.status_code == 400 and code in resp.get_data(as_text=True)


def test_callback_invalid_grant_is_400(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient) -> None:
    idp.register(rsps, jwks=False)
    auth = begin(client)
    rsps.post(idp.token_endpoint, status=400, json={"error": "invalid_grant"})
    resp = client.get("/oidc/callback", query_string={"code": "c", "state": auth["state"], "iss": ISSUER})
    assert resp.status_code == 400 and "Sisselogimine ebaõnnestus" in resp.get_data(as_text=True)


def test_provider_down_is_503_page_not_500(rsps: responses.RequestsMock, idp: FakeIssuer,
                                           client: FlaskClient) -> None:
    rsps.get(idp.discovery_url, body=requests.ConnectionError("down"))
    resp = client.get("/oidc/login")
    assert resp.status_code == 503 and "ei ole praegu kättesaadav" in resp.get_data(as_text=True)


# --- third-party initiated login (OIDC Core §4) and return targets -----------------


def test_OIDC_Core_4_foreign_iss_refused(client: FlaskClient) -> None:
    resp = client.get("/oidc/login", query_string={"iss": "https://evil.example", "target_link_uri": f"{BASE}/"})
    assert resp.status_code == 400
    assert "Vigane sisselogimislink" in resp.get_data(as_text=True)


def test_OIDC_Core_4_target_link_uri_and_login_hint(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                    client: FlaskClient, clock: Clock) -> None:
    idp.register(rsps)
    auth = begin(client, iss=ISSUER, target_link_uri=f"{BASE}/grades?term=2", login_hint="mari@example.test")
    assert auth["login_hint"] == "mari@example.test"
    resp = finish(client, rsps, idp, auth, client_id=CLIENT_ID, now=clock.now)
    assert resp.headers["Location"] == "/grades?term=2"


@pytest.mark.parametrize("target", [
    "https://evil.example/grades", "//evil.example/", "https://noo.example.test.evil.example/",
    "http://noo.example.test/grades", "https://noo.example.test:8443/", "javascript:alert(1)", "/\\evil.example",
], ids=["other-host", "scheme-relative", "suffix-host", "other-scheme", "other-port", "javascript", "backslash"])
def test_OIDC_Core_4_foreign_target_link_uri_never_redirected_to(
        rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient, clock: Clock, target: str) -> None:
    idp.register(rsps)
    auth = begin(client, iss=ISSUER, target_link_uri=target)
    resp = finish(client, rsps, idp, auth, client_id=CLIENT_ID, now=clock.now)
    assert resp.headers["Location"] == "/"


@pytest.mark.parametrize(("next_", "expected"), [("/grades", "/grades"), ("//evil.example", "/"),
                                                 ("https://evil.example/", "/")])
def test_next_parameter_local_only(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                                   clock: Clock, next_: str, expected: str) -> None:
    idp.register(rsps)
    resp = finish(client, rsps, idp, begin(client, next=next_), client_id=CLIENT_ID, now=clock.now)
    assert resp.headers["Location"] == expected


def test_login_required_decorator(client: FlaskClient) -> None:
    resp = client.get("/grades?term=2")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/oidc/login?next=/grades?term%3D2"


def test_login_required_lets_user_in(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                                     clock: Clock) -> None:
    idp.register(rsps)
    do_login(client, rsps, idp, clock)
    assert client.get("/grades").get_data(as_text=True) == "grades of isik-1"


def test_stale_cookie_is_cleared(client: FlaskClient) -> None:
    client.set_cookie(COOKIE, "no-such-session")
    resp = client.get("/")
    assert resp.get_data(as_text=True).startswith("user=None")
    assert f"{COOKIE}=;" in resp.headers["Set-Cookie"]


# --- configuration -----------------------------------------------------------------


def test_missing_configuration_refused(clock: Clock) -> None:
    app = Flask("x")
    app.config.update(SCHOOLS_OIDC_CLIENT_ID="c", SCHOOLS_OIDC_CLIENT_SECRET="s", SCHOOLS_OIDC_BASE_URL=BASE)
    with pytest.raises(ConfigurationError, match="SCHOOLS_OIDC_ISSUER"):
        SchoolsOIDC(app, store=MemorySessionStore())


def test_insecure_cookie_for_http_base(clock: Clock) -> None:
    _, oidc = make_app(clock, SCHOOLS_OIDC_ISSUER="http://localhost:5000",
                       SCHOOLS_OIDC_BASE_URL="http://localhost:5001",
                       SCHOOLS_OIDC_POST_LOGOUT_REDIRECT_URI="http://localhost:5001/",
                       SCHOOLS_OIDC_ALLOW_INSECURE_HTTP=True)
    assert oidc.cookie_secure is False
    assert oidc.settings.redirect_uri == "http://localhost:5001/oidc/callback"


def test_access_token_refresh_rotates(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                                      app_oidc: tuple[Flask, SchoolsOIDC], clock: Clock) -> None:
    idp.register(rsps)
    do_login(client, rsps, idp, clock, access_token="AT-1", refresh_token="RT-1")
    assert client.get("/api-token").get_data(as_text=True) == "AT-1"
    login_time = int(clock.now)
    clock.advance(3600 - 10)
    rsps.post(idp.token_endpoint, json=idp.token_response(
        audience=CLIENT_ID, nonce=None, sub="isik-1", now=clock.now, access_token="AT-2", refresh_token="RT-2",
        auth_time=login_time))  # OIDC Core §12.2: auth_time stays that of the original login
    assert client.get("/api-token").get_data(as_text=True) == "AT-2"
    assert client.get("/api-token").get_data(as_text=True) == "AT-2", "no second refresh"
    record = app_oidc[1].store.get(cookie(client) or "")
    assert record is not None and record.data["refresh_token"] == "RT-2"
    posts = [c.request for c in rsps.calls if c.request.method == "POST"]
    assert len(posts) == 2
    assert dict(parse_qsl(str(posts[-1].body))) == {"grant_type": "refresh_token", "refresh_token": "RT-1"}


def test_access_token_refresh_failure_gives_none(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                 client: FlaskClient, clock: Clock) -> None:
    idp.register(rsps)
    do_login(client, rsps, idp, clock)
    clock.advance(3600)
    rsps.post(idp.token_endpoint, status=400, json={"error": "invalid_grant"})
    assert client.get("/api-token").get_data(as_text=True) == "none"
