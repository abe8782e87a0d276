"""OIDCClient: authorization request, callback validation, code exchange, refresh, logout URL."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
import responses

from schools_client.client import OIDCClient
from schools_client.config import ClientSettings
from schools_client.errors import (
    AuthorizationResponseError,
    TokenEndpointError,
    TokenVerificationError,
    UserinfoError,
)
from schools_client.models import LoginState
from schools_client.testing import FakeIssuer

from .conftest import BASE, CLIENT_ID, CLIENT_SECRET, ISSUER, Clock


def make(settings: ClientSettings, clock: Clock) -> OIDCClient:
    return OIDCClient(settings, http=requests.Session(), clock=clock)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def userinfo_body(sub: str = "isik-1") -> dict[str, Any]:
    return {"sub": sub, "name": "Mari Maasikas", "email": "mari@example.test", "roles": ["parent"]}


def test_OIDC_Core_3_1_2_1_authorization_request(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                 settings: ClientSettings, clock: Clock) -> None:
    idp.register(rsps, jwks=False)
    url, state = make(settings, clock).begin_login(login_hint="mari@example.test", prompt="login",
                                                   ui_locales="et en", max_age=600, extra={"acr_values": "x"})
    assert url.startswith(idp.authorization_endpoint + "?")
    q = query(url)
    assert q["response_type"] == "code"
    assert q["client_id"] == CLIENT_ID
    assert q["redirect_uri"] == f"{BASE}/oidc/callback"
    assert q["scope"] == "openid profile email phone roles schools"
    assert q["state"] == state.state and len(state.state) >= 43
    assert q["nonce"] == state.nonce and state.nonce != state.state
    assert q["code_challenge_method"] == "S256"
    digest = hashlib.sha256(state.code_verifier.encode()).digest()
    assert q["code_challenge"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert 43 <= len(state.code_verifier) <= 128
    assert (q["login_hint"], q["prompt"], q["ui_locales"], q["max_age"], q["acr_values"]) == (
        "mari@example.test", "login", "et en", "600", "x")
    assert state.max_age == 600
    assert LoginState.from_dict(state.to_dict()) == state


def test_each_login_gets_fresh_secrets(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings,
                                       clock: Clock) -> None:
    idp.register(rsps, jwks=False)
    client = make(settings, clock)
    a, b = client.begin_login()[1], client.begin_login()[1]
    assert {a.state, a.nonce, a.code_verifier}.isdisjoint({b.state, b.nonce, b.code_verifier})


@pytest.mark.parametrize("param", ["state", "nonce", "code_challenge", "redirect_uri", "client_id"])
def test_extra_cannot_override_protocol_parameters(settings: ClientSettings, clock: Clock, param: str) -> None:
    with pytest.raises(ValueError):
        make(settings, clock).begin_login(extra={param: "x"})


def login_state(clock: Clock, **kw: Any) -> LoginState:
    data = {"state": "st-1", "nonce": "nonce-1", "code_verifier": "v" * 64, "redirect_uri": f"{BASE}/oidc/callback",
                "created_at": clock.now, "max_age": None}
    data.update(kw)
    return LoginState(**data)  # type: ignore[arg-type]


def test_finish_login_success(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings,
                              clock: Clock) -> None:
    idp.register(rsps)
    body = idp.token_response(audience=CLIENT_ID, nonce="nonce-1", sub="isik-1", now=clock.now, sid="sid-9",
                              access_token="AT-1", refresh_token="RT-1")
    rsps.post(idp.token_endpoint, json=body)
    rsps.get(idp.userinfo_endpoint, json=userinfo_body())
    result = make(settings, clock).finish_login({"code": "CODE-1", "state": "st-1", "iss": ISSUER},
                                                login_state(clock))
    assert result.claims["sub"] == "isik-1" and result.claims["sid"] == "sid-9"
    assert (result.access_token, result.refresh_token) == ("AT-1", "RT-1")
    assert result.expires_at == clock.now + 3600
    assert result.userinfo == userinfo_body()
    assert result.profile["name"] == "Mari Maasikas" and result.profile["iss"] == ISSUER
    token_call = rsps.calls[1].request
    form = {k: v[0] for k, v in parse_qs(str(token_call.body)).items()}
    assert form == {"grant_type": "authorization_code", "code": "CODE-1",
                    "redirect_uri": f"{BASE}/oidc/callback", "code_verifier": "v" * 64}
    # RFC 6749 §2.3.1: client_id and secret are form-urlencoded before Basic encoding
    user, _, password = base64.b64decode(token_call.headers["Authorization"].split()[1]).decode().partition(":")
    assert (unquote(user), unquote(password)) == (CLIENT_ID, CLIENT_SECRET)
    assert "%3A" in password, "':' in the secret must be percent-encoded"
    assert rsps.calls[3].request.headers["Authorization"] == "Bearer AT-1"


CALLBACK_REJECTIONS: list[tuple[str, dict[str, str], str, bool]] = [
    ("RFC6749-10.12-state-mismatch", {"code": "c", "state": "other", "iss": ISSUER}, "state_mismatch", False),
    ("RFC6749-10.12-state-missing", {"code": "c", "iss": ISSUER}, "state_mismatch", False),
    ("RFC9207-iss-missing", {"code": "c", "state": "st-1"}, "iss_missing", True),
    ("RFC9207-iss-mismatch", {"code": "c", "state": "st-1", "iss": "https://evil.example"}, "iss_mismatch", True),
    ("RFC9207-iss-mismatch-on-error", {"error": "access_denied", "state": "st-1", "iss": "https://evil.example"},
     "iss_mismatch", True),
    ("RFC6749-4.1.2.1-login-required", {"error": "login_required", "state": "st-1", "iss": ISSUER},
     "login_required", True),
    ("RFC6749-4.1.2.1-access-denied", {"error": "access_denied", "error_description": "no", "state": "st-1",
                                       "iss": ISSUER}, "access_denied", True),
    ("RFC6749-4.1.2-code-missing", {"state": "st-1", "iss": ISSUER}, "invalid_response", True),
]


@pytest.mark.parametrize(("params", "error", "needs_metadata"), [c[1:] for c in CALLBACK_REJECTIONS],
                         ids=[c[0] for c in CALLBACK_REJECTIONS])
def test_callback_rejections(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings, clock: Clock,
                             params: dict[str, str], error: str, needs_metadata: bool) -> None:
    if needs_metadata:
        idp.register(rsps, jwks=False)
    with pytest.raises(AuthorizationResponseError) as info:
        make(settings, clock).finish_login(params, login_state(clock))
    assert info.value.error == error


def test_login_state_expires(settings: ClientSettings, clock: Clock) -> None:
    state = login_state(clock)
    clock.advance(settings.login_state_ttl + 1)
    with pytest.raises(AuthorizationResponseError) as info:
        make(settings, clock).finish_login({"code": "c", "state": "st-1", "iss": ISSUER}, state)
    assert info.value.error == "login_expired"


def test_RFC9207_iss_optional_when_not_advertised(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                  settings: ClientSettings, clock: Clock) -> None:
    meta = idp.metadata
    del meta["authorization_response_iss_parameter_supported"]
    rsps.get(idp.discovery_url, json=meta)
    rsps.get(idp.jwks_uri, json=idp.jwks)
    rsps.post(idp.token_endpoint, json=idp.token_response(audience=CLIENT_ID, nonce="nonce-1", now=clock.now))
    rsps.get(idp.userinfo_endpoint, json=userinfo_body("test-sub"))
    result = make(settings, clock).finish_login({"code": "c", "state": "st-1"}, login_state(clock))
    assert result.claims["sub"] == "test-sub"


@pytest.mark.parametrize(("status", "body", "error"), [
    (400, {"error": "invalid_grant", "error_description": "code used"}, "invalid_grant"),
    (401, {"error": "invalid_client"}, "invalid_client"),
    (500, None, "server_error"),
    (200, {"access_token": "x", "token_type": "DPoP", "id_token": "y"}, "invalid_response"),
    (200, {"token_type": "Bearer", "id_token": "y"}, "invalid_response"),
    (200, {"access_token": "x", "token_type": "Bearer"}, "invalid_response"),
], ids=["RFC6749-5.2-invalid-grant", "RFC6749-5.2-invalid-client", "RFC6749-5.2-server-error",
        "RFC6749-5.1-token-type-not-bearer", "RFC6749-5.1-access-token-missing", "OIDC-Core-3.1.3.3-no-id-token"])
def test_token_endpoint_errors(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings,
                               clock: Clock, status: int, body: Any, error: str) -> None:
    idp.register(rsps, jwks=False)
    rsps.post(idp.token_endpoint, status=status, body=json.dumps(body) if body else "oops")
    with pytest.raises(TokenEndpointError) as info:
        make(settings, clock).finish_login({"code": "c", "state": "st-1", "iss": ISSUER}, login_state(clock))
    assert info.value.error == error


def test_token_endpoint_network_error(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings,
                                      clock: Clock) -> None:
    idp.register(rsps, jwks=False)
    rsps.post(idp.token_endpoint, body=requests.ConnectTimeout("slow"))
    with pytest.raises(TokenEndpointError) as info:
        make(settings, clock).finish_login({"code": "c", "state": "st-1", "iss": ISSUER}, login_state(clock))
    assert info.value.error == "network_error"


@pytest.mark.parametrize(("claims", "reason"), [
    ({"nonce": "other"}, "nonce_mismatch"),
    ({"audience": "other-school"}, "aud_mismatch"),
    ({"iss": "https://evil.example"}, "iss_mismatch"),
], ids=["OIDC-Core-3.1.3.7-11-nonce", "OIDC-Core-3.1.3.7-3-aud", "OIDC-Core-3.1.3.7-2-iss"])
def test_id_token_from_token_endpoint_verified(rsps: responses.RequestsMock, idp: FakeIssuer,
                                               settings: ClientSettings, clock: Clock, claims: dict[str, Any],
                                               reason: str) -> None:
    idp.register(rsps)
    kw: dict[str, Any] = {"audience": CLIENT_ID, "nonce": "nonce-1", "now": clock.now} | claims
    rsps.post(idp.token_endpoint, json=idp.token_response(**kw))
    with pytest.raises(TokenVerificationError) as info:
        make(settings, clock).finish_login({"code": "c", "state": "st-1", "iss": ISSUER}, login_state(clock))
    assert info.value.reason == reason


def test_OIDC_Core_3_1_3_8_at_hash_substituted_access_token(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                          settings: ClientSettings, clock: Clock) -> None:
    idp.register(rsps)
    body = idp.token_response(audience=CLIENT_ID, nonce="nonce-1", now=clock.now)
    body["access_token"] = "substituted"
    rsps.post(idp.token_endpoint, json=body)
    with pytest.raises(TokenVerificationError) as info:
        make(settings, clock).finish_login({"code": "c", "state": "st-1", "iss": ISSUER}, login_state(clock))
    assert info.value.reason == "at_hash_mismatch"


def test_OIDC_Core_5_3_2_userinfo_sub_mismatch(rsps: responses.RequestsMock, idp: FakeIssuer,
                                               settings: ClientSettings, clock: Clock) -> None:
    idp.register(rsps)
    rsps.post(idp.token_endpoint, json=idp.token_response(audience=CLIENT_ID, nonce="nonce-1", now=clock.now))
    rsps.get(idp.userinfo_endpoint, json=userinfo_body("somebody-else"))
    with pytest.raises(UserinfoError) as info:
        make(settings, clock).finish_login({"code": "c", "state": "st-1", "iss": ISSUER}, login_state(clock))
    assert info.value.reason == "sub_mismatch"


def test_userinfo_http_error(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings,
                             clock: Clock) -> None:
    idp.register(rsps, jwks=False)
    rsps.get(idp.userinfo_endpoint, status=401, json={"error": "invalid_token"})
    with pytest.raises(UserinfoError) as info:
        make(settings, clock).userinfo("expired")
    assert info.value.reason == "http_error"


def test_refresh_rotates_and_checks_sub(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings,
                                        clock: Clock) -> None:
    idp.register(rsps)
    rsps.post(idp.token_endpoint, json=idp.token_response(audience=CLIENT_ID, nonce=None, sub="isik-1",
                                                          now=clock.now, refresh_token="RT-2", auth_time=100))
    tokens = make(settings, clock).refresh("RT-1", previous_claims={"sub": "isik-1", "auth_time": 100})
    assert tokens.refresh_token == "RT-2"
    assert tokens.claims is not None and tokens.claims["sub"] == "isik-1"
    form = parse_qs(str(rsps.calls[1].request.body))
    assert form == {"grant_type": ["refresh_token"], "refresh_token": ["RT-1"]}


def test_OIDC_Core_12_2_refreshed_id_token_must_keep_sub(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                         settings: ClientSettings, clock: Clock) -> None:
    idp.register(rsps)
    rsps.post(idp.token_endpoint, json=idp.token_response(audience=CLIENT_ID, nonce=None, sub="other",
                                                          now=clock.now))
    with pytest.raises(TokenVerificationError) as info:
        make(settings, clock).refresh("RT-1", previous_claims={"sub": "isik-1"})
    assert info.value.reason == "sub_mismatch"


def test_refresh_invalid_grant(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings,
                               clock: Clock) -> None:
    idp.register(rsps, jwks=False)
    rsps.post(idp.token_endpoint, status=400, json={"error": "invalid_grant"})
    with pytest.raises(TokenEndpointError) as info:
        make(settings, clock).refresh("RT-reused")
    assert (info.value.error, info.value.status) == ("invalid_grant", 400)


def test_RP_Initiated_Logout_2_end_session_url(rsps: responses.RequestsMock, idp: FakeIssuer,
                                                settings: ClientSettings, clock: Clock) -> None:
    idp.register(rsps, jwks=False)
    url = make(settings, clock).end_session_url(id_token_hint="ID.TOKEN.X", state="s-1", ui_locales="en et")
    assert url is not None and url.startswith(idp.end_session_endpoint + "?")
    assert query(url) == {"id_token_hint": "ID.TOKEN.X", "client_id": CLIENT_ID,
                          "post_logout_redirect_uri": f"{BASE}/", "state": "s-1", "ui_locales": "en et"}


def test_verify_logout_token_via_client(rsps: responses.RequestsMock, idp: FakeIssuer, settings: ClientSettings,
                                        clock: Clock) -> None:
    idp.register(rsps)
    seen: list[str] = []
    claims = make(settings, clock).verify_logout_token(
        idp.mint_logout_token(audience=CLIENT_ID, sid="sid-1", now=clock.now),
        lambda jti, until: bool(seen.append(jti)))
    assert claims["sid"] == "sid-1" and seen == [claims["jti"]]
