"""Profile-sync Security Event Tokens (RFC 8417) pushed to ``POST /oidc/events`` (RFC 8935).

Token checks are table-driven against :func:`verify_security_event`; the endpoint is driven through the
school app of ``school_app.py`` (both session stores) and the demo Stuudium, with a fake IdP behind `responses`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet
from werkzeug.test import TestResponse

from schools_client.client import OIDCClient
from schools_client.config import ClientSettings
from schools_client.demo import create_demo_app
from schools_client.errors import ConfigurationError, TokenVerificationError
from schools_client.sessions import MemorySessionStore, SessionStore, SQLiteSessionStore
from schools_client.testing import FakeIssuer, mint_security_event
from schools_client.tokens import (
    ACCOUNT_UPDATED_EVENT,
    verify_id_token,
    verify_logout_token,
    verify_security_event,
)
from schools_client.web import SchoolsOIDC, SchoolsOIDCHooks

from .conftest import BASE, CLIENT_ID, CLIENT_SECRET, ISSUER, T0, Clock
from .flow import login
from .school_app import cookie, do_login, make_app

SET_TYPE = "application/secevent+jwt"
OLD_PROFILE = {"name": "Mari Maasikas", "given_name": "Mari", "family_name": "Maasikas",
               "email": "mari@example.test", "email_verified": True, "roles": ["parent"]}
NEW_CLAIMS: dict[str, Any] = {
    "name": "Mari Kask", "given_name": "Mari", "family_name": "Kask", "birthdate": None,
    "email": "mari.kask@example.test", "email_verified": False, "roles": ["parent", "teacher"],
    "schools": [{"client_id": CLIENT_ID, "name": "Nõo Muusikakool", "logo": "https://noo.example.test/logo.svg",
                 "initiate_login_uri": "https://noo.example.test/oidc/login"}],
}


def b64(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def public_keys(idp: FakeIssuer) -> KeySet:
    return KeySet.import_key_set(idp.jwks)  # type: ignore[arg-type]


def set_token(idp: FakeIssuer, **kw: Any) -> str:
    kw.setdefault("audience", CLIENT_ID)
    kw.setdefault("now", T0)
    kw.setdefault("sub", "isik-1")
    kw.setdefault("version", 7)
    kw.setdefault("claims", NEW_CLAIMS)
    return idp.mint_security_event(**kw)


def event(**over: Any) -> dict[str, Any]:
    return {ACCOUNT_UPDATED_EVENT: {"version": 7, "status": "active", "claims": NEW_CLAIMS} | over}


def verify(idp: FakeIssuer, token: str, **over: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"issuer": ISSUER, "audience": CLIENT_ID, "algorithms": ("RS256", "ES256"),
                              "keys": public_keys(idp), "leeway": 60, "now": T0}
    kwargs.update(over)
    return verify_security_event(token, **kwargs)


def unsigned_field_removed(idp: FakeIssuer, name: str) -> str:
    """A correctly signed SET without claim ``name`` (mint_security_event always sets jti)."""
    body = {"iss": ISSUER, "aud": CLIENT_ID, "iat": int(T0), "jti": "evt-1", "sub": "isik-1", "events": event()}
    del body[name]
    return jwt.encode({"alg": "RS256", "kid": idp.key.kid, "typ": "secevent+jwt"}, body, idp.key,
                      algorithms=["RS256"])


def tamper(token: str) -> str:
    header, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    return ".".join([header, b64(claims), sig])


# --- verify_security_event: every refusal -------------------------------------------

Build = Callable[[FakeIssuer, Any], str]

REJECTIONS: list[tuple[str, Build, dict[str, Any], str]] = [
    ("RFC8417-2.3-typ-missing", lambda i, fk: set_token(i, header={"typ": None}), {}, "typ_mismatch"),
    ("RFC8417-2.3-typ-JWT", lambda i, fk: set_token(i, header={"typ": "JWT"}), {}, "typ_mismatch"),
    ("RFC8417-2.3-typ-logout+jwt", lambda i, fk: set_token(i, header={"typ": "logout+jwt"}), {}, "typ_mismatch"),
    ("RFC8417-2.3-logout-token-is-not-a-SET",
     lambda i, fk: i.mint_logout_token(audience=CLIENT_ID, sub="isik-1", now=T0), {}, "typ_mismatch"),
    ("RFC8417-2.3-id-token-is-not-a-SET",
     lambda i, fk: i.mint_id_token(audience=CLIENT_ID, sub="isik-1", now=T0, jti="j",
                                   events=event()), {}, "typ_mismatch"),
    ("RFC7515-5.2-bad-signature", lambda i, fk: tamper(set_token(i)), {}, "bad_signature"),
    ("RFC8417-5-foreign-key-same-kid",
     lambda i, fk: mint_security_event(fk, issuer=ISSUER, audience=CLIENT_ID, sub="isik-1", version=7,
                                       claims=NEW_CLAIMS, now=T0), {}, "bad_signature"),
    ("OIDC-Core-10.1-unknown-kid", lambda i, fk: set_token(i, header={"kid": "no-such-key"}), {}, "unknown_kid"),
    ("RFC8725-3.1-alg-none",
     lambda i, fk: f"{b64({'alg': 'none', 'typ': 'secevent+jwt'})}.{b64({'iss': ISSUER})}.", {}, "alg_not_allowed"),
    ("RFC8725-3.1-alg-not-in-allow-list", lambda i, fk: set_token(i), {"algorithms": ["ES256"]}, "alg_not_allowed"),
    ("RFC7515-4.1.11-crit-header", lambda i, fk: set_token(i, header={"b64": True, "crit": ["b64"]}), {}, "unsupported_header"),
    ("RFC7519-7.2-malformed", lambda i, fk: "not-a-jwt", {}, "malformed"),
    ("RFC8417-2.2-iss-mismatch", lambda i, fk: set_token(i, iss="https://evil.example"), {}, "iss_mismatch"),
    ("RFC8417-2.2-iss-trailing-slash", lambda i, fk: set_token(i, iss=ISSUER + "/"), {}, "iss_mismatch"),
    ("RFC8417-2.2-aud-mismatch", lambda i, fk: set_token(i, audience="other-school"), {}, "aud_mismatch"),
    ("RFC8417-2.2-aud-missing", lambda i, fk: set_token(i, aud=None), {}, "aud_mismatch"),
    ("RFC8417-2.2-iat-missing", lambda i, fk: set_token(i, iat=None), {}, "missing_claim"),
    ("RFC8417-2.2-iat-not-a-number", lambda i, fk: set_token(i, iat="now"), {}, "invalid_claim"),
    ("RFC8417-2.2-iat-future", lambda i, fk: set_token(i, now=T0 + 61), {}, "iat_future"),
    ("RFC8417-2.2-iat-stale-replay", lambda i, fk: set_token(i, now=T0 - 661), {}, "iat_too_old"),
    ("RFC8417-2.2-iat-older-than-custom-max-age", lambda i, fk: set_token(i, now=T0 - 200), {"max_age": 100},
     "iat_too_old"),
    ("RFC7519-4.1.4-exp-present-and-past", lambda i, fk: set_token(i, exp=int(T0) - 61), {}, "expired"),
    ("RFC7519-4.1.4-exp-not-a-number", lambda i, fk: set_token(i, exp="later"), {}, "invalid_claim"),
    ("RFC7519-4.1.5-nbf-future", lambda i, fk: set_token(i, nbf=int(T0) + 120), {}, "not_yet_valid"),
    ("RFC8417-2.2-jti-missing", lambda i, fk: unsigned_field_removed(i, "jti"), {}, "missing_claim"),
    ("RFC8417-2.2-jti-empty", lambda i, fk: set_token(i, jti=""), {}, "invalid_claim"),
    ("RFC8417-2.2-jti-not-a-string", lambda i, fk: set_token(i, jti=42), {}, "invalid_claim"),
    ("RFC8417-2.2-sub-missing", lambda i, fk: set_token(i, sub=None), {}, "missing_claim"),
    ("RFC8417-2.2-sub-empty", lambda i, fk: set_token(i, sub=""), {}, "invalid_claim"),
    ("RFC8417-4.1-nonce-present", lambda i, fk: set_token(i, nonce="n"), {}, "nonce_present"),
    ("RFC8417-2.2-events-missing", lambda i, fk: set_token(i, events=None), {}, "bad_events"),
    ("RFC8417-2.2-events-not-object", lambda i, fk: set_token(i, events=[ACCOUNT_UPDATED_EVENT]), {}, "bad_events"),
    ("RFC8417-2.2-events-other-event-only",
     lambda i, fk: set_token(i, events={"https://schemas.ope.ee/secevent/other": {}}), {}, "bad_events"),
    ("RFC8417-2.2-events-backchannel-logout-only",
     lambda i, fk: set_token(i, events={"http://schemas.openid.net/event/backchannel-logout": {}}), {},
     "bad_events"),
    ("event-not-object", lambda i, fk: set_token(i, events={ACCOUNT_UPDATED_EVENT: "updated"}), {}, "bad_events"),
    ("event-version-missing",
     lambda i, fk: set_token(i, events={ACCOUNT_UPDATED_EVENT: {"status": "active", "claims": {}}}), {},
     "bad_events"),
    ("event-version-bool", lambda i, fk: set_token(i, events=event(version=True)), {}, "bad_events"),
    ("event-version-zero", lambda i, fk: set_token(i, events=event(version=0)), {}, "bad_events"),
    ("event-version-negative", lambda i, fk: set_token(i, events=event(version=-3)), {}, "bad_events"),
    ("event-version-string", lambda i, fk: set_token(i, events=event(version="7")), {}, "bad_events"),
    ("event-version-float", lambda i, fk: set_token(i, events=event(version=7.0)), {}, "bad_events"),
    ("event-status-unknown", lambda i, fk: set_token(i, status="deleted"), {}, "bad_events"),
    ("event-status-upper-case", lambda i, fk: set_token(i, status="ACTIVE"), {}, "bad_events"),
    ("event-status-missing",
     lambda i, fk: set_token(i, events={ACCOUNT_UPDATED_EVENT: {"version": 7, "claims": {}}}), {}, "bad_events"),
    ("event-claims-missing",
     lambda i, fk: set_token(i, events={ACCOUNT_UPDATED_EVENT: {"version": 7, "status": "active"}}), {},
     "bad_events"),
    ("event-claims-not-object", lambda i, fk: set_token(i, events=event(claims=["name"])), {}, "bad_events"),
]


@pytest.mark.parametrize(("build", "over", "reason"), [c[1:] for c in REJECTIONS], ids=[c[0] for c in REJECTIONS])
def test_security_event_rejections(idp: FakeIssuer, foreign_key: Any, build: Build, over: dict[str, Any],
                                   reason: str) -> None:
    with pytest.raises(TokenVerificationError) as info:
        verify(idp, build(idp, foreign_key), **over)
    assert info.value.reason == reason



@pytest.mark.parametrize(("build", "over"), [
    (lambda i: set_token(i), {}),
    (lambda i: set_token(i, header={"typ": "application/secevent+jwt"}), {}),
    (lambda i: set_token(i, header={"typ": "SecEvent+JWT"}), {}),
    (lambda i: set_token(i, now=T0 - 660), {}),
    (lambda i: set_token(i, now=T0 + 60), {}),
    (lambda i: set_token(i, exp=int(T0) + 300), {}),
    (lambda i: set_token(i, status="disabled", claims={}), {}),
    (lambda i: set_token(i, now=T0 - 3000), {"max_age": 3600}),
], ids=["RFC8417-no-exp", "RFC8417-2.3-media-type-typ", "RFC8417-2.3-typ-case-insensitive", "iat-max-age-plus-leeway",
        "iat-future-within-leeway", "exp-present-and-future", "disabled-with-empty-claims", "custom-max-age"])
def test_security_event_accepted(idp: FakeIssuer, build: Callable[[FakeIssuer], str], over: dict[str, Any]) -> None:
    claims = verify(idp, build(idp), **over)
    assert claims["sub"] == "isik-1" and claims["iss"] == ISSUER
    assert claims["events"][ACCOUNT_UPDATED_EVENT]["version"] == 7


def test_es256_security_event(es_idp: FakeIssuer) -> None:
    claims = verify(es_idp, set_token(es_idp))
    assert claims["events"][ACCOUNT_UPDATED_EVENT]["claims"]["name"] == "Mari Kask"


@pytest.mark.parametrize("max_age", [0, -1, True, 600.0, None])
def test_bad_max_age_is_a_configuration_error(idp: FakeIssuer, max_age: Any) -> None:
    with pytest.raises(ConfigurationError):
        verify(idp, set_token(idp), max_age=max_age)


@pytest.mark.parametrize("typ", ["secevent+jwt", "application/secevent+jwt", "SECEVENT+JWT"])
def test_a_SET_is_never_an_id_token_or_logout_token(idp: FakeIssuer, typ: str) -> None:
    # carries everything an ID token and a logout token need, so only the typ check can refuse it
    token = set_token(idp, header={"typ": typ}, exp=int(T0) + 300, nonce=None, sid="sid-1",
                      events={ACCOUNT_UPDATED_EVENT: {"version": 7, "status": "active", "claims": {}},
                              "http://schemas.openid.net/event/backchannel-logout": {}})
    common: dict[str, Any] = {"issuer": ISSUER, "audience": CLIENT_ID, "algorithms": ["RS256"],
                              "keys": public_keys(idp), "leeway": 60, "now": T0}
    with pytest.raises(TokenVerificationError) as info:
        verify_id_token(token, nonce=None, **common)
    assert info.value.reason == "typ_mismatch"
    recorded: list[str] = []

    def jti_seen(jti: str, until: int) -> bool:
        recorded.append(jti)
        return False

    with pytest.raises(TokenVerificationError) as info:
        verify_logout_token(token, jti_seen=jti_seen, **common)
    assert info.value.reason == "typ_mismatch" and recorded == []
    verify(idp, token)  # ... while it is a valid SET


def test_client_verify_security_event_uses_client_settings(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                           settings: ClientSettings, clock: Clock) -> None:
    idp.register(rsps)
    client = OIDCClient(settings, requests.Session(), clock)
    claims = client.verify_security_event(set_token(idp, now=clock.now))
    assert claims["sub"] == "isik-1"
    with pytest.raises(TokenVerificationError) as info:
        client.verify_security_event(set_token(idp, now=clock.now - 120), max_age=30)
    assert info.value.reason == "iat_too_old"
    with pytest.raises(TokenVerificationError) as info:
        client.verify_security_event(set_token(idp, now=clock.now, audience="tartugymnaasium"))
    assert info.value.reason == "aud_mismatch"


# --- session stores: apply_profile -----------------------------------------------------

StoreFactory = Callable[[Clock], SessionStore]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreFactory:
    if request.param == "memory":
        return lambda clock: MemorySessionStore(clock=clock)
    return lambda clock: SQLiteSessionStore(str(tmp_path / "sessions.db"), clock=clock)


def test_store_apply_profile(make_store: StoreFactory, clock: Clock) -> None:
    store = make_store(clock)
    profile = {"sub": "A", "sid": "s", "name": "Old", "email": "old@example.test", "locale": "et"}
    a1 = store.create({"claims": profile, "csrf": "x"}, ttl=100, sub="A", sid="s")
    a2 = store.create({"claims": profile}, ttl=100, sub="A", sid="s2")
    b1 = store.create({"claims": {"sub": "B", "name": "Bob"}}, ttl=100, sub="B")
    anon = store.create({"pending": 1}, ttl=100)
    assert store.profile_version("A") is None
    update = {"name": "New", "email": None, "roles": ["teacher"], "sub": "evil", "sid": "evil", "iss": "evil"}
    assert store.apply_profile("A", 3, update, "active") == "applied"
    assert store.profile_version("A") == 3 and store.profile_version("B") is None
    for rec in (a1, a2):
        got = store.get(rec.session_id)
        assert got is not None and got.sub == "A"
        assert got.data["claims"] == {"sub": "A", "sid": "s", "name": "New", "roles": ["teacher"], "locale": "et"}
        assert got.data["profile_version"] == 3
    assert store.get(a1.session_id).data["csrf"] == "x"  # type: ignore[union-attr]
    assert store.get(b1.session_id).data == {"claims": {"sub": "B", "name": "Bob"}}  # type: ignore[union-attr]
    assert store.get(anon.session_id).data == {"pending": 1}  # type: ignore[union-attr]
    for stale in (3, 2, 1):
        assert store.apply_profile("A", stale, {"name": "Older"}, "active") == "stale"
    assert store.get(a1.session_id).data["claims"]["name"] == "New"  # type: ignore[union-attr]
    assert store.profile_version("A") == 3
    assert store.apply_profile("A", 10, {"name": "Newest"}, "active") == "applied"
    assert store.get(a2.session_id).data["claims"]["name"] == "Newest"  # type: ignore[union-attr]


def test_store_disabled_ends_sessions_of_that_sub_only(make_store: StoreFactory, clock: Clock) -> None:
    store = make_store(clock)
    a1 = store.create({"claims": {"sub": "A"}}, ttl=100, sub="A")
    a2 = store.create({"claims": {"sub": "A"}}, ttl=100, sub="A")
    b1 = store.create({"claims": {"sub": "B"}}, ttl=100, sub="B")
    assert store.apply_profile("A", 5, {}, "disabled") == "applied"
    assert store.get(a1.session_id) is None and store.get(a2.session_id) is None
    assert store.get(b1.session_id) is not None
    assert store.profile_version("A") == 5
    assert store.apply_profile("A", 5, {}, "disabled") == "stale"
    assert store.apply_profile("A", 6, {"name": "Back"}, "active") == "applied"


def test_store_profile_versions_are_per_sub(make_store: StoreFactory, clock: Clock) -> None:
    store = make_store(clock)
    assert store.apply_profile("A", 9, {}, "active") == "applied"
    assert store.apply_profile("B", 1, {}, "active") == "applied"
    assert (store.profile_version("A"), store.profile_version("B")) == (9, 1)


def test_store_expired_session_not_updated(make_store: StoreFactory, clock: Clock) -> None:
    store = make_store(clock)
    old = store.create({"claims": {"sub": "A", "name": "Old"}}, ttl=10, sub="A")
    clock.advance(11)
    assert store.apply_profile("A", 2, {"name": "New"}, "active") == "applied"
    clock.now -= 11  # peek at the expired record by going back in time
    got = store.get(old.session_id)
    assert got is not None and got.data["claims"]["name"] == "Old"


@pytest.mark.parametrize(("version", "status"), [(0, "active"), (True, "active"), ("2", "active"), (2.0, "active"),
                                                 (2, "deleted"), (2, "")])
def test_store_refuses_bad_arguments(make_store: StoreFactory, clock: Clock, version: Any, status: Any) -> None:
    store = make_store(clock)
    with pytest.raises(ValueError):
        store.apply_profile("A", version, {}, status)
    assert store.profile_version("A") is None


def test_store_forget_jti(make_store: StoreFactory, clock: Clock) -> None:
    store = make_store(clock)
    assert store.jti_seen("j", int(clock.now) + 100) is False
    assert store.jti_seen("j", int(clock.now) + 100) is True
    store.forget_jti("j")
    assert store.jti_seen("j", int(clock.now) + 100) is False
    store.forget_jti("never-seen")


def test_sqlite_profile_version_persists_across_instances(tmp_path: Path, clock: Clock) -> None:
    path = str(tmp_path / "s.db")
    first = SQLiteSessionStore(path, clock=clock)
    assert first.apply_profile("A", 7, {"name": "Mari"}, "active") == "applied"
    second = SQLiteSessionStore(path, clock=clock)
    assert second.profile_version("A") == 7
    assert second.apply_profile("A", 7, {"name": "Replay"}, "active") == "stale"
    assert second.apply_profile("A", 8, {"name": "Next"}, "active") == "applied"
    assert first.profile_version("A") == 8


# --- POST /oidc/events -----------------------------------------------------------------


class HookLog:
    def __init__(self, fail: int = 0) -> None:
        self.calls: list[tuple[str, dict[str, Any], str, int]] = []
        self.fail = fail

    def __call__(self, sub: str, claims: dict[str, Any], status: str, version: int) -> None:
        self.calls.append((sub, claims, status, version))
        if self.fail:
            self.fail -= 1
            raise RuntimeError("the school's database is down")


@pytest.fixture(params=["memory", "sqlite"])
def school(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> tuple[Flask, SchoolsOIDC, HookLog]:
    store: SessionStore = (MemorySessionStore(clock=clock) if request.param == "memory"
                           else SQLiteSessionStore(str(tmp_path / "sessions.db"), clock=clock))
    app, oidc = make_app(clock, store)
    hook = HookLog()
    oidc.profile_updated(hook)
    return app, oidc, hook


@pytest.fixture
def browsers(school: tuple[Flask, SchoolsOIDC, HookLog], rsps: responses.RequestsMock, idp: FakeIssuer,
             clock: Clock) -> dict[str, FlaskClient]:
    """A logged in twice (a1, a2), B once (b1), all with OLD_PROFILE from UserInfo."""
    idp.register(rsps)
    clients = {}
    for name, sub, sid in (("a1", "A", "sid-a1"), ("a2", "A", "sid-a2"), ("b1", "B", "sid-b1")):
        c = school[0].test_client()
        do_login(c, rsps, idp, clock, sub=sub, sid=sid, userinfo=OLD_PROFILE)
        clients[name] = c
    return clients


def post(app: Flask, token: str | bytes, content_type: str | None = SET_TYPE) -> TestResponse:
    headers = {"Accept": "application/json"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return app.test_client().post("/oidc/events", data=token, headers=headers)


def names(clients: dict[str, FlaskClient]) -> dict[str, str]:
    out = {}
    for key, c in clients.items():
        m = re.match(r"user=(\S+) name=(.*) logged_out=", c.get("/").get_data(as_text=True))
        assert m
        out[key] = f"{m.group(1)}:{m.group(2)}"
    return out


UNCHANGED = {"a1": "A:Mari Maasikas", "a2": "A:Mari Maasikas", "b1": "B:Mari Maasikas"}


def accepted(resp: TestResponse) -> None:
    assert resp.status_code == 202, resp.get_data(as_text=True)
    assert resp.get_data() == b""
    assert "no-store" in resp.headers["Cache-Control"]


def test_event_updates_profile_of_every_live_session(school: tuple[Flask, SchoolsOIDC, HookLog],
                                                     browsers: dict[str, FlaskClient], idp: FakeIssuer,
                                                     clock: Clock) -> None:
    app, oidc, hook = school
    assert names(browsers) == UNCHANGED
    clock.advance(30)
    resp = post(app, set_token(idp, sub="A", version=7, now=clock.now, claims=NEW_CLAIMS | {"sub": "B"}))
    accepted(resp)
    assert names(browsers) == {"a1": "A:Mari Kask", "a2": "A:Mari Kask", "b1": "B:Mari Maasikas"}
    record = oidc.store.get(cookie(browsers["a1"]) or "")
    assert record is not None and record.sub == "A" and record.sid == "sid-a1"
    profile = record.data["claims"]
    assert profile["sub"] == "A", "a pushed claims object cannot change the subject"
    assert profile["email"] == "mari.kask@example.test" and profile["email_verified"] is False
    assert profile["roles"] == ["parent", "teacher"] and profile["schools"] == NEW_CLAIMS["schools"]
    assert "birthdate" not in profile
    assert record.data["profile_version"] == 7 and oidc.store.profile_version("A") == 7
    assert record.data["id_token_claims"]["sub"] == "A" and record.data["access_token"]
    assert hook.calls == [("A", NEW_CLAIMS, "active", 7)], "protocol claims are not passed on"
    assert browsers["a1"].get("/grades").get_data(as_text=True) == "grades of A"


def test_stale_version_is_acknowledged_and_ignored(school: tuple[Flask, SchoolsOIDC, HookLog],
                                                   browsers: dict[str, FlaskClient], idp: FakeIssuer,
                                                   clock: Clock) -> None:
    app, oidc, hook = school
    accepted(post(app, set_token(idp, sub="A", version=7, now=clock.now)))
    for version in (7, 6, 1):
        accepted(post(app, set_token(idp, sub="A", version=version, now=clock.now, claims={"name": "Vana Nimi"})))
    assert names(browsers)["a1"] == "A:Mari Kask"
    assert oidc.store.profile_version("A") == 7
    accepted(post(app, set_token(idp, sub="A", version=8, now=clock.now, claims={"name": "Uus Nimi"})))
    assert names(browsers) == {"a1": "A:Uus Nimi", "a2": "A:Uus Nimi", "b1": "B:Mari Maasikas"}
    assert [c[3] for c in hook.calls] == [7, 8]


def test_duplicate_jti_is_acknowledged_without_applying_again(school: tuple[Flask, SchoolsOIDC, HookLog],
                                                              browsers: dict[str, FlaskClient], idp: FakeIssuer,
                                                              clock: Clock) -> None:
    app, oidc, hook = school
    token = set_token(idp, sub="A", version=7, jti="evt-1", now=clock.now)
    accepted(post(app, token))
    accepted(post(app, token))  # the very same bytes again
    clock.advance(120)
    # a retransmission is re-signed with a new iat but the same jti; even with other content it is not applied
    accepted(post(app, set_token(idp, sub="A", version=9, jti="evt-1", now=clock.now, claims={"name": "X Y"})))
    assert names(browsers)["a2"] == "A:Mari Kask"
    assert oidc.store.profile_version("A") == 7
    assert len(hook.calls) == 1
    accepted(post(app, set_token(idp, sub="A", version=9, jti="evt-2", now=clock.now, claims={"name": "X Y"})))
    assert names(browsers)["a2"] == "A:X Y" and len(hook.calls) == 2


def test_disabled_account_sessions_end(school: tuple[Flask, SchoolsOIDC, HookLog], browsers: dict[str, FlaskClient],
                                       idp: FakeIssuer, clock: Clock) -> None:
    app, oidc, hook = school
    accepted(post(app, set_token(idp, sub="A", version=12, status="disabled", now=clock.now, claims=NEW_CLAIMS)))
    assert names(browsers) == {"a1": "None:None", "a2": "None:None", "b1": "B:Mari Maasikas"}
    assert browsers["a1"].get("/grades").status_code == 302
    assert oidc.store.profile_version("A") == 12
    assert [(c[0], c[2], c[3]) for c in hook.calls] == [("A", "disabled", 12)]
    # an older "active" version arriving late does not bring anything back
    accepted(post(app, set_token(idp, sub="A", version=11, now=clock.now)))
    assert len(hook.calls) == 1


def test_failing_hook_answers_503_and_the_retry_is_applied(school: tuple[Flask, SchoolsOIDC, HookLog],
                                                           browsers: dict[str, FlaskClient], idp: FakeIssuer,
                                                           clock: Clock) -> None:
    app, oidc, hook = school
    hook.fail = 1
    resp = post(app, set_token(idp, sub="A", version=7, jti="evt-1", now=clock.now))
    assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit()
    assert "no-store" in resp.headers["Cache-Control"]
    assert names(browsers) == UNCHANGED
    assert oidc.store.profile_version("A") is None
    clock.advance(60)
    accepted(post(app, set_token(idp, sub="A", version=7, jti="evt-1", now=clock.now)))
    assert names(browsers)["a1"] == "A:Mari Kask"
    assert [c[3] for c in hook.calls] == [7, 7], "called again for the retry, which then succeeded"
    accepted(post(app, set_token(idp, sub="A", version=7, jti="evt-1", now=clock.now)))
    assert len(hook.calls) == 2


def test_store_failure_answers_503(school: tuple[Flask, SchoolsOIDC, HookLog], browsers: dict[str, FlaskClient],
                                   idp: FakeIssuer, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    app, oidc, hook = school

    def broken(*args: Any) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(oidc.store, "apply_profile", broken)
    resp = post(app, set_token(idp, sub="A", version=7, jti="evt-1", now=clock.now))
    assert resp.status_code == 503 and "Retry-After" in resp.headers
    assert names(browsers) == UNCHANGED
    monkeypatch.undo()
    accepted(post(app, set_token(idp, sub="A", version=7, jti="evt-1", now=clock.now)))
    assert names(browsers)["a1"] == "A:Mari Kask"
    assert [c[3] for c in hook.calls] == [7, 7], "the hook runs before the store and again on the retry"


def test_constructor_hook_and_hooks_dataclass(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    calls: list[int] = []
    app = Flask("school-with-hook")
    app.config.update(SCHOOLS_OIDC_ISSUER=ISSUER, SCHOOLS_OIDC_CLIENT_ID=CLIENT_ID,
                      SCHOOLS_OIDC_CLIENT_SECRET=CLIENT_SECRET, SCHOOLS_OIDC_BASE_URL=BASE)
    SchoolsOIDC(app, store=MemorySessionStore(clock=clock), clock=clock,
                on_profile_update=lambda sub, claims, status, version: calls.append(version))
    idp.register(rsps)
    accepted(post(app, set_token(idp, sub="A", version=3, now=clock.now)))
    assert calls == [3]
    hooks = SchoolsOIDCHooks(on_profile_update=lambda *a: None)
    with pytest.raises(ValueError):
        SchoolsOIDC(store=MemorySessionStore(), hooks=hooks, on_profile_update=lambda *a: None)


def test_without_hook_and_without_sessions(rsps: responses.RequestsMock, idp: FakeIssuer, app: Flask,
                                           app_oidc: tuple[Flask, SchoolsOIDC], clock: Clock) -> None:
    idp.register(rsps)
    accepted(post(app, set_token(idp, sub="nobody-here", version=1, now=clock.now)))
    assert app_oidc[1].store.profile_version("nobody-here") == 1


def test_sqlite_two_workers_share_versions_and_sessions(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock,
                                                        tmp_path: Path) -> None:
    path = str(tmp_path / "s.db")
    app1, _ = make_app(clock, SQLiteSessionStore(path, clock=clock))
    app2, oidc2 = make_app(clock, SQLiteSessionStore(path, clock=clock))
    idp.register(rsps)
    browser = app1.test_client()
    do_login(browser, rsps, idp, clock, sub="A", sid="sid-a", userinfo=OLD_PROFILE)
    idp.register(rsps)  # worker 2 discovers on its own
    accepted(post(app2, set_token(idp, sub="A", version=7, now=clock.now)))
    assert browser.get("/").get_data(as_text=True).startswith("user=A name=Mari Kask ")
    accepted(post(app1, set_token(idp, sub="A", version=6, now=clock.now, claims={"name": "Old"})))
    assert browser.get("/").get_data(as_text=True).startswith("user=A name=Mari Kask ")
    restarted = SQLiteSessionStore(path, clock=clock)
    assert restarted.profile_version("A") == 7 and oidc2.store.profile_version("A") == 7


# --- POST /oidc/events: refusals -------------------------------------------------------

def a_token(idp: FakeIssuer, **kw: Any) -> str:
    """A SET about the logged-in subject A with jti ``evt-x`` (mutated by ``kw``)."""
    kw.setdefault("sub", "A")
    kw.setdefault("jti", "evt-x")
    return set_token(idp, **kw)


HTTP_REJECTIONS: list[tuple[str, Build, str]] = [
    ("RFC8935-2.4-invalid_issuer", lambda i, fk: a_token(i, iss="https://evil.example"), "invalid_issuer"),
    ("RFC8935-2.4-invalid_audience", lambda i, fk: a_token(i, audience="tartugymnaasium"), "invalid_audience"),
    ("RFC8935-2.4-invalid_key-foreign-key",
     lambda i, fk: mint_security_event(fk, issuer=ISSUER, audience=CLIENT_ID, sub="A", version=7, claims=NEW_CLAIMS,
                                       jti="evt-x", now=T0), "invalid_key"),
    ("RFC8935-2.4-invalid_key-unknown-kid", lambda i, fk: a_token(i, header={"kid": "rotated-away"}),
     "invalid_key"),
    ("RFC8935-2.4-invalid_key-tampered", lambda i, fk: tamper(a_token(i)), "invalid_key"),
    ("logout-token-posted-as-SET",
     lambda i, fk: i.mint_logout_token(audience=CLIENT_ID, sub="A", jti="evt-x", events=event(), now=T0),
     "invalid_request"),
    ("id-token-posted-as-SET",
     lambda i, fk: i.mint_id_token(audience=CLIENT_ID, sub="A", jti="evt-x", events=event(), now=T0),
     "invalid_request"),
    ("typ-missing", lambda i, fk: a_token(i, header={"typ": None}), "invalid_request"),
    ("typ-JWT", lambda i, fk: a_token(i, header={"typ": "JWT"}), "invalid_request"),
    ("alg-none", lambda i, fk: f"{b64({'alg': 'none', 'typ': 'secevent+jwt'})}.{b64({'iss': ISSUER})}.",
     "invalid_request"),
    ("stale-iat", lambda i, fk: a_token(i, now=T0 - 661), "invalid_request"),
    ("future-iat", lambda i, fk: a_token(i, now=T0 + 61), "invalid_request"),
    ("expired-exp", lambda i, fk: a_token(i, exp=int(T0) - 61), "invalid_request"),
    ("jti-missing", lambda i, fk: unsigned_field_removed(i, "jti"), "invalid_request"),
    ("jti-empty", lambda i, fk: a_token(i, jti=""), "invalid_request"),
    ("sub-missing", lambda i, fk: a_token(i, sub=None), "invalid_request"),
    ("nonce-present", lambda i, fk: a_token(i, nonce="n"), "invalid_request"),
    ("event-missing", lambda i, fk: a_token(i, events={"https://schemas.ope.ee/secevent/other": event()}),
     "invalid_request"),
    ("events-malformed", lambda i, fk: a_token(i, events="account-updated"), "invalid_request"),
    ("version-bool", lambda i, fk: a_token(i, events=event(version=True)), "invalid_request"),
    ("status-bad", lambda i, fk: a_token(i, status="suspended"), "invalid_request"),
    ("claims-not-object", lambda i, fk: a_token(i, events=event(claims="Mari")), "invalid_request"),
    ("not-a-jwt", lambda i, fk: "hello", "invalid_request"),
]


def refused(resp: TestResponse, err: str) -> None:
    assert resp.status_code == 400, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["err"] == err and isinstance(body["description"], str) and body["description"]
    assert set(body) == {"err", "description"}
    assert "no-store" in resp.headers["Cache-Control"]


@pytest.mark.parametrize(("build", "err"), [c[1:] for c in HTTP_REJECTIONS], ids=[c[0] for c in HTTP_REJECTIONS])
def test_bad_security_event_400(school: tuple[Flask, SchoolsOIDC, HookLog], browsers: dict[str, FlaskClient],
                                idp: FakeIssuer, foreign_key: Any, clock: Clock, build: Build, err: str) -> None:
    app, oidc, hook = school
    refused(post(app, build(idp, foreign_key)), err)
    assert names(browsers) == UNCHANGED
    assert oidc.store.profile_version("A") is None and hook.calls == []
    # the refused token's jti was not remembered: the genuine event with that jti is applied
    accepted(post(app, set_token(idp, sub="A", version=7, jti="evt-x", now=clock.now)))
    assert names(browsers)["a1"] == "A:Mari Kask"


@pytest.mark.parametrize(("body", "content_type"), [
    ("TOKEN", "application/jwt"), ("TOKEN", "application/json"), ("TOKEN", "text/plain"),
    ("TOKEN", "application/x-www-form-urlencoded"), ("TOKEN", None), ("TOKEN", "application/secevent+jwt+x"),
    ("", SET_TYPE), ("   \r\n", SET_TYPE), ("TOKEN\u00e4", SET_TYPE), ("TOKEN" + "A" * 300_000, SET_TYPE),
], ids=["ct-jwt", "ct-json", "ct-text", "ct-form", "ct-missing", "ct-lookalike", "empty-body", "blank-body",
        "non-ascii-body", "oversized-body"])
def test_bad_request_400(school: tuple[Flask, SchoolsOIDC, HookLog], browsers: dict[str, FlaskClient],
                         idp: FakeIssuer, clock: Clock, body: str, content_type: str | None) -> None:
    app, oidc, hook = school
    token = set_token(idp, sub="A", version=7, now=clock.now)
    refused(post(app, body.replace("TOKEN", token).encode(), content_type), "invalid_request")
    assert names(browsers) == UNCHANGED and oidc.store.profile_version("A") is None and hook.calls == []


@pytest.mark.parametrize("content_type", ["application/secevent+jwt; charset=utf-8", "Application/SecEvent+JWT"])
def test_content_type_parameters_and_case_accepted(school: tuple[Flask, SchoolsOIDC, HookLog],
                                                   browsers: dict[str, FlaskClient], idp: FakeIssuer, clock: Clock,
                                                   content_type: str) -> None:
    accepted(post(school[0], set_token(idp, sub="A", version=7, now=clock.now) + "\n", content_type))
    assert names(browsers)["a2"] == "A:Mari Kask"


def test_only_post(app: Flask) -> None:
    assert app.test_client().get("/oidc/events").status_code == 405


@pytest.mark.parametrize("failure", ["jwks-500", "discovery-500"])
def test_unreachable_idp_keys_answer_503(rsps: responses.RequestsMock, idp: FakeIssuer, app: Flask,
                                         app_oidc: tuple[Flask, SchoolsOIDC], clock: Clock, failure: str) -> None:
    if failure == "jwks-500":
        rsps.get(idp.discovery_url, json=idp.metadata)
        rsps.get(idp.jwks_uri, status=500)
    else:
        rsps.get(idp.discovery_url, status=500)
    resp = post(app, set_token(idp, sub="A", version=7, jti="evt-1", now=clock.now))
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
    assert "no-store" in resp.headers["Cache-Control"]
    assert app_oidc[1].store.profile_version("A") is None


def test_events_exempt_from_flask_wtf_csrf(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    from flask_wtf.csrf import CSRFProtect

    app = Flask("csrf-app")
    app.config.update(SECRET_KEY="x")
    CSRFProtect(app)
    app.config.update(SCHOOLS_OIDC_ISSUER=ISSUER, SCHOOLS_OIDC_CLIENT_ID=CLIENT_ID,
                      SCHOOLS_OIDC_CLIENT_SECRET=CLIENT_SECRET, SCHOOLS_OIDC_BASE_URL=BASE)
    SchoolsOIDC(app, store=MemorySessionStore(clock=clock), clock=clock)
    idp.register(rsps)
    accepted(post(app, set_token(idp, sub="A", version=1, now=clock.now)))


def test_event_max_age_config(rsps: responses.RequestsMock, idp: FakeIssuer, clock: Clock) -> None:
    app, _ = make_app(clock, None, SCHOOLS_OIDC_EVENT_MAX_AGE=60)
    idp.register(rsps)
    refused(post(app, set_token(idp, sub="A", version=1, now=clock.now - 200)), "invalid_request")
    accepted(post(app, set_token(idp, sub="A", version=1, now=clock.now - 100)))


def test_no_personal_data_in_logs(school: tuple[Flask, SchoolsOIDC, HookLog], browsers: dict[str, FlaskClient],
                                  idp: FakeIssuer, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    app = school[0]
    caplog.set_level("DEBUG", logger="schools_client")
    accepted(post(app, set_token(idp, sub="A", version=7, jti="evt-log", now=clock.now)))
    refused(post(app, set_token(idp, sub="A", version=8, audience="other", now=clock.now)), "invalid_audience")
    text = caplog.text
    assert "evt-log" in text and "applied" in text
    for personal in ("Mari", "Kask", "mari.kask@example.test", "teacher"):
        assert personal not in text


# --- the demo Stuudium shows the pushed profile ------------------------------------------

LOCAL_ISSUER = "http://localhost:5000"


@pytest.fixture(scope="module")
def local_idp() -> FakeIssuer:
    return FakeIssuer(LOCAL_ISSUER)


@pytest.fixture
def demo(clock: Clock) -> Flask:
    app = create_demo_app({"slug": CLIENT_ID, "name": "Nõo Muusikakool", "port": 5001, "issuer": LOCAL_ISSUER,
                           "client_id": CLIENT_ID, "client_secret": "demo-secret", "http": requests.Session(),
                           "clock": clock})
    app.config["TESTING"] = True
    return app


@pytest.fixture
def demo_browser(demo: Flask) -> Iterator[FlaskClient]:
    with demo.test_client() as c:
        yield c


@pytest.mark.parametrize("logo_key", ["logo", "logo_uri"])
def test_demo_page_shows_pushed_profile(rsps: responses.RequestsMock, local_idp: FakeIssuer, demo: Flask,
                                        demo_browser: FlaskClient, clock: Clock, logo_key: str) -> None:
    assert "/oidc/events" in {r.rule for r in demo.url_map.iter_rules()}
    local_idp.register(rsps)
    login(demo_browser, rsps, local_idp, client_id=CLIENT_ID, now=clock.now, sub="isik-1", sid="sid-1",
          userinfo={"name": "Mari Maasikas", "email": "mari@example.test", "roles": ["parent"]})
    before = html.unescape(demo_browser.get("/").get_data(as_text=True))
    assert "Tere, Mari Maasikas!" in before and "<li>lapsevanem</li>" in before
    assert 'aria-label="Minu koolid"' not in before
    schools = [
        {"client_id": CLIENT_ID, "name": "Nõo Muusikakool", logo_key: "http://localhost:5001/static/logo.svg",
         "initiate_login_uri": "http://localhost:5001/oidc/login"},
        {"client_id": "tartugymnaasium", "name": "Tartu Gümnaasium",
         logo_key: "http://localhost:5002/static/logo.svg", "initiate_login_uri": "http://localhost:5002/oidc/login"},
    ]
    token = mint_security_event(local_idp.key, issuer=LOCAL_ISSUER, audience=CLIENT_ID, sub="isik-1", version=3,
                                now=clock.now, claims={"name": "Mari Kask", "email": "mari.kask@example.test",
                                                       "roles": ["parent", "teacher"], "schools": schools})
    resp = demo.test_client().post("/oidc/events", data=token, content_type=SET_TYPE)
    assert resp.status_code == 202
    page = demo_browser.get("/")
    text = html.unescape(page.get_data(as_text=True))
    assert "Tere, Mari Kask!" in text and "Mari Maasikas" not in text
    assert re.findall(r'<ul class="roles">(.*?)</ul>', text, re.DOTALL) == ["<li>lapsevanem</li><li>õpetaja</li>"]
    assert "mari.kask@example.test" in text
    nav = text[text.index('aria-label="Minu koolid"'):]
    assert 'src="http://localhost:5001/static/logo.svg"' in nav and 'src="http://localhost:5002/static/logo.svg"' in nav
    assert "Tartu Gümnaasium" in nav
    assert "img-src 'self' http://localhost:5001 http://localhost:5002;" in page.headers["Content-Security-Policy"]
    disabled = mint_security_event(local_idp.key, issuer=LOCAL_ISSUER, audience=CLIENT_ID, sub="isik-1", version=4,
                                   now=clock.now, claims={}, status="disabled")
    assert demo.test_client().post("/oidc/events", data=disabled, content_type=SET_TYPE).status_code == 202
    assert "Logi sisse" in demo_browser.get("/").get_data(as_text=True)
