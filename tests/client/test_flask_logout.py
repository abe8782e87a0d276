"""The /oidc blueprint: RP-initiated, back-channel and front-channel logout (fake IdP behind `responses`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient

from schools_client.sessions import MemorySessionStore, SQLiteSessionStore
from schools_client.testing import FakeIssuer
from schools_client.web import SchoolsOIDC

from .conftest import BASE, CLIENT_ID, CLIENT_SECRET, ISSUER, Clock
from .flow import query
from .school_app import cookie, do_login, make_app

# --- RP-initiated logout ------------------------------------------------------


def test_logout_requires_csrf(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                              clock: Clock) -> None:
    idp.register(rsps)
    do_login(client, rsps, idp, clock)
    for form in ({}, {"csrf_token": "forged"}):
        resp = client.post("/oidc/logout", data=form)
        assert resp.status_code == 400 and "Vorm aegus" in resp.get_data(as_text=True)
    assert client.get("/").get_data(as_text=True).startswith("user=isik-1")


def test_RP_Initiated_Logout_redirect_and_state(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                                               app_oidc: tuple[Flask, SchoolsOIDC], clock: Clock) -> None:
    oidc = app_oidc[1]
    idp.register(rsps)
    do_login(client, rsps, idp, clock)
    session_id = cookie(client)
    assert session_id
    record = oidc.store.get(session_id)
    assert record is not None
    resp = client.post("/oidc/logout", data={"csrf_token": record.data["csrf"]},
                       headers={"Accept-Language": "et"})
    assert resp.status_code == 303
    location = resp.headers["Location"]
    assert location.startswith(idp.end_session_endpoint + "?")
    q = query(location)
    assert q["id_token_hint"] == record.data["id_token"]
    assert q["post_logout_redirect_uri"] == f"{BASE}/"
    assert q["client_id"] == CLIENT_ID and q["ui_locales"] == "et en" and len(q["state"]) >= 32
    assert oidc.store.get(session_id) is None
    assert cookie(client) != session_id
    assert client.get("/", query_string={"state": "wrong"}).get_data(as_text=True).endswith("logged_out=False")
    assert client.get("/", query_string={"state": q["state"]}).get_data(as_text=True) == \
        "user=None name=None logged_out=True"
    assert client.get("/", query_string={"state": q["state"]}).get_data(as_text=True).endswith("logged_out=False")


def test_logged_out_page(rsps: responses.RequestsMock, idp: FakeIssuer, client: FlaskClient,
                         app_oidc: tuple[Flask, SchoolsOIDC], clock: Clock) -> None:
    idp.register(rsps)
    do_login(client, rsps, idp, clock)
    csrf = app_oidc[1].store.get(cookie(client) or "").data["csrf"]  # type: ignore[union-attr]
    state = query(client.post("/oidc/logout", data={"csrf_token": csrf}).headers["Location"])["state"]
    assert client.get("/oidc/logged-out", query_string={"state": "x"}).status_code == 303
    page = client.get("/oidc/logged-out", query_string={"state": state})
    assert page.status_code == 200 and "Te olete välja logitud" in page.get_data(as_text=True)


def test_logout_when_not_logged_in(client: FlaskClient) -> None:
    resp = client.post("/oidc/logout")
    assert resp.status_code == 303 and resp.headers["Location"] == "/"


# --- back-channel logout -----------------------------------------------------------


def who(clients: dict[str, FlaskClient]) -> dict[str, str]:
    return {k: c.get("/").get_data(as_text=True).split()[0] for k, c in clients.items()}


@pytest.mark.parametrize(("sub", "sid", "ended"), [
    ("A", "sid-a1", {"a1"}), (None, "sid-a2", {"a2"}), ("A", None, {"a1", "a2"}), ("B", "unknown-sid", set()),
], ids=["BCL-2.7-sid-and-sub", "BCL-2.7-sid-only", "BCL-2.7-sub-only-all-sessions", "BCL-2.8-unknown-sid-200"])
def test_backchannel_logout_ends_exactly_matching_sessions(
        three_sessions: dict[str, FlaskClient], idp: FakeIssuer, app: Flask, clock: Clock,
        sub: str | None, sid: str | None, ended: set[str]) -> None:
    token = idp.mint_logout_token(audience=CLIENT_ID, sub=sub, sid=sid, now=clock.now)
    resp = app.test_client().post("/oidc/backchannel-logout", data={"logout_token": token})
    assert resp.status_code == 200
    assert "no-store" in resp.headers["Cache-Control"]
    expected = {"a1": "user=A", "a2": "user=A", "b1": "user=B"} | {k: "user=None" for k in ended}
    assert who(three_sessions) == expected


@pytest.mark.parametrize("mutation", [
    {"audience": "other-school"}, {"nonce": "n"}, {"events": {}}, {"header": {"typ": "JWT"}},
    {"iss": "https://evil.example"}, {"sub": None, "sid": None},
], ids=["BCL-2.6-aud", "BCL-2.6-nonce-present", "BCL-2.6-events", "BCL-2.6-typ", "BCL-2.6-iss",
        "BCL-2.6-sub-or-sid"])
def test_backchannel_logout_bad_token_400(three_sessions: dict[str, FlaskClient], idp: FakeIssuer, app: Flask,
                                          clock: Clock, mutation: dict[str, Any]) -> None:
    kw: dict[str, Any] = {"audience": CLIENT_ID, "sub": "A", "sid": "sid-a1", "now": clock.now} | mutation
    resp = app.test_client().post("/oidc/backchannel-logout", data={"logout_token": idp.mint_logout_token(**kw)})
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_request" and resp.get_json()["error_description"]
    assert "no-store" in resp.headers["Cache-Control"]
    assert who(three_sessions) == {"a1": "user=A", "a2": "user=A", "b1": "user=B"}


def test_backchannel_logout_missing_and_replayed(three_sessions: dict[str, FlaskClient], idp: FakeIssuer,
                                                 app: Flask, clock: Clock) -> None:
    c = app.test_client()
    assert c.post("/oidc/backchannel-logout", data={}).status_code == 400
    token = idp.mint_logout_token(audience=CLIENT_ID, sub="B", sid="sid-b1", now=clock.now)
    assert c.post("/oidc/backchannel-logout", data={"logout_token": token}).status_code == 200
    replay = c.post("/oidc/backchannel-logout", data={"logout_token": token})
    assert replay.status_code == 400 and "replayed_jti" in replay.get_json()["error_description"]


def test_backchannel_logout_exempt_from_flask_wtf_csrf(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                       clock: Clock) -> None:
    from flask_wtf.csrf import CSRFProtect

    app = Flask("csrf-app")
    app.config.update(SECRET_KEY="x")
    CSRFProtect(app)
    app.config.update(SCHOOLS_OIDC_ISSUER=ISSUER, SCHOOLS_OIDC_CLIENT_ID=CLIENT_ID,
                      SCHOOLS_OIDC_CLIENT_SECRET=CLIENT_SECRET, SCHOOLS_OIDC_BASE_URL=BASE)
    SchoolsOIDC(app, store=MemorySessionStore(clock=clock), clock=clock)
    idp.register(rsps)
    token = idp.mint_logout_token(audience=CLIENT_ID, sid="s", now=clock.now)
    assert app.test_client().post("/oidc/backchannel-logout", data={"logout_token": token}).status_code == 200


def test_sqlite_store_shared_by_two_workers(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock,
                                            tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    app1, _ = make_app(clock, SQLiteSessionStore(path, clock=clock))
    app2, _ = make_app(clock, SQLiteSessionStore(path, clock=clock))
    idp.register(rsps)
    browser = app1.test_client()
    do_login(browser, rsps, idp, clock, sub="A", sid="sid-a")
    idp.register(rsps)  # worker 2 discovers on its own
    token = idp.mint_logout_token(audience=CLIENT_ID, sub="A", sid="sid-a", now=clock.now)
    assert app2.test_client().post("/oidc/backchannel-logout", data={"logout_token": token}).status_code == 200
    assert browser.get("/").get_data(as_text=True).startswith("user=None")


# --- front-channel logout ----------------------------------------------------------


def test_frontchannel_logout(three_sessions: dict[str, FlaskClient], clock: Clock) -> None:
    c = three_sessions["a1"]
    resp = c.get("/oidc/frontchannel-logout", query_string={"iss": ISSUER, "sid": "sid-a1"})
    assert resp.status_code == 200
    assert "no-store" in resp.headers["Cache-Control"]
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors https://idp.example.test" in csp and "'none'" not in csp.split("frame-ancestors")[1]
    assert "X-Frame-Options" not in resp.headers
    assert who(three_sessions) == {"a1": "user=None", "a2": "user=A", "b1": "user=B"}


@pytest.mark.parametrize("params", [{"iss": "https://evil.example", "sid": "sid-a1"}, {"sid": "sid-a1"},
                                    {"iss": ISSUER}], ids=["FCL-2-iss-mismatch", "FCL-2-iss-missing",
                                                           "FCL-2-sid-missing"])
def test_frontchannel_logout_rejects_bad_parameters(three_sessions: dict[str, FlaskClient],
                                                    params: dict[str, str]) -> None:
    resp = three_sessions["b1"].get("/oidc/frontchannel-logout", query_string=params)
    assert resp.status_code == 400
    assert who(three_sessions) == {"a1": "user=A", "a2": "user=A", "b1": "user=B"}


def test_frontchannel_logout_without_parameters_ends_cookie_session(three_sessions: dict[str, FlaskClient]) -> None:
    assert three_sessions["a2"].get("/oidc/frontchannel-logout").status_code == 200
    assert who(three_sessions) == {"a1": "user=A", "a2": "user=None", "b1": "user=B"}
