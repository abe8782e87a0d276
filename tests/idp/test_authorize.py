"""Authorization endpoint (OIDC Core 3.1.2, RFC 6749 4.1.1-4.1.2, RFC 9207)."""

import datetime as dt

import pytest
import time_machine
from werkzeug.datastructures import MultiDict

from tests.helpers import auth_params, authorize, pkce_pair
from tests.idp._protocol import (
    T0,
    assert_code_redirect,
    assert_error_page,
    assert_error_redirect,
    decode_id_token,
    exchange,
    is_login_redirect,
    log_in,
    relogin,
    sign_id_token,
    userinfo,
)


def request_params(school, *, drop=(), repeat=(), **extra) -> MultiDict:
    params = MultiDict(auth_params(school, pkce_pair()[1], **extra))
    for name in drop:
        params.pop(name, None)
    for name, value in repeat:
        params.add(name, value)
    return params


# --- the client or its redirect URI cannot be trusted: a page, never a redirect -----------------

ALPHA_CB = "https://alpha.school.test/cb"


@pytest.mark.parametrize("change", [
    pytest.param({"drop": ["client_id"]}, id="RFC6749-4.1.2.1-client_id-missing"),
    pytest.param({"client_id": "nobody"}, id="RFC6749-4.1.2.1-client_id-unknown"),
    pytest.param({"client_id": "alpha\x00"}, id="RFC6749-4.1.2.1-client_id-with-nul"),
    pytest.param({"repeat": [("client_id", "beta")]}, id="RFC6749-3.1-client_id-repeated"),
    pytest.param({"drop": ["redirect_uri"]}, id="OIDC-Core-3.1.2.1-redirect_uri-missing"),
    pytest.param({"redirect_uri": "https://evil.example/cb"},
                 id="OIDC-Core-3.1.2.1-redirect_uri-not-registered"),
    pytest.param({"redirect_uri": ALPHA_CB + "/"}, id="OIDC-Core-3.1.2.1-redirect_uri-trailing-slash"),
    pytest.param({"redirect_uri": "https://alpha.school.test/CB"}, id="OIDC-Core-3.1.2.1-redirect_uri-case"),
    pytest.param({"redirect_uri": "HTTPS://ALPHA.SCHOOL.TEST/cb"},
                 id="OIDC-Core-3.1.2.1-redirect_uri-scheme-host-case"),
    pytest.param({"redirect_uri": ALPHA_CB + "?next=/"}, id="OIDC-Core-3.1.2.1-redirect_uri-extra-query"),
    pytest.param({"redirect_uri": ALPHA_CB + "#x"}, id="OIDC-Core-3.1.2.1-redirect_uri-fragment"),
    pytest.param({"redirect_uri": "https://beta.school.test/cb"},
                 id="OIDC-Core-3.1.2.1-redirect_uri-of-another-client"),
    pytest.param({"repeat": [("redirect_uri", ALPHA_CB)]}, id="RFC6749-3.1-redirect_uri-repeated"),
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_RFC6749_4_1_2_1_untrusted_client_or_redirect_uri_shows_page(client, world, change, method):
    params = request_params(world.schools["alpha"], **change)
    if method == "GET":
        response = client.get("/authorize", query_string=params)
    else:
        response = client.post("/authorize", data=params)
    assert_error_page(response, 400)


def test_RFC6749_4_1_2_1_disabled_school_shows_page(app, client, world):
    from idp.extensions import db
    from idp.services import schools as school_service
    with app.app_context():
        school_service.update(school_service.get("alpha"), enabled=False)
        db.session.commit()
    response = client.get("/authorize", query_string=request_params(world.schools["alpha"]))
    assert_error_page(response, 400)


# --- errors after the client is known: 302 with error, the exact state and iss ------------------

STATE = "st8 ä&=/+?"  # must come back byte for byte


@pytest.mark.parametrize("change, error", [
    pytest.param({"response_type": "token"}, "unsupported_response_type",
                 id="RFC6749-4.1.2.1-response_type-token-unsupported"),
    pytest.param({"response_type": "code id_token"}, "unsupported_response_type",
                 id="OIDC-Core-3.1.2.1-response_type-hybrid-unsupported"),
    pytest.param({"drop": ["response_type"]}, "invalid_request", id="RFC6749-4.1.1-response_type-missing"),
    pytest.param({"repeat": [("response_type", "code")]}, "invalid_request",
                 id="RFC6749-3.1-response_type-repeated"),
    pytest.param({"repeat": [("scope", "openid")]}, "invalid_request", id="RFC6749-3.1-scope-repeated"),
    pytest.param({"repeat": [("nonce", "n2")]}, "invalid_request", id="OIDC-Core-3.1.2.1-nonce-repeated"),
    pytest.param({"repeat": [("prompt", "login")], "prompt": "login"}, "invalid_request",
                 id="OIDC-Core-3.1.2.1-prompt-repeated"),
    pytest.param({"repeat": [("code_challenge", "x" * 43)]}, "invalid_request",
                 id="RFC7636-4.3-code_challenge-repeated"),
    pytest.param({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported",
                 id="OIDC-Core-6.1-request-not-supported"),
    pytest.param({"request_uri": "https://alpha.school.test/req.jwt"}, "request_uri_not_supported",
                 id="OIDC-Core-6.2-request_uri-not-supported"),
    pytest.param({"max_age": "-1"}, "invalid_request", id="OIDC-Core-3.1.2.1-max_age-negative"),
    pytest.param({"max_age": "soon"}, "invalid_request", id="OIDC-Core-3.1.2.1-max_age-not-a-number"),
    pytest.param({"max_age": "1.5"}, "invalid_request", id="OIDC-Core-3.1.2.1-max_age-fraction"),
    pytest.param({"max_age": "²"}, "invalid_request", id="OIDC-Core-3.1.2.1-max_age-unicode-digit"),
    pytest.param({"id_token_hint": "not-a-jwt"}, "invalid_request",
                 id="OIDC-Core-3.1.2.1-id_token_hint-garbage"),
    pytest.param({"prompt": "none login"}, "invalid_request", id="OIDC-Core-3.1.2.1-prompt-none-with-other"),
    pytest.param({"nonce": "n" * 501}, "invalid_request", id="OIDC-Core-3.1.2.1-nonce-too-long"),
    pytest.param({"login_hint": "m" * 2049}, "invalid_request", id="RFC6749-4.1.2.1-login_hint-too-long"),
    pytest.param({"nonce": "a\x00b"}, "invalid_request", id="RFC6749-4.1.2.1-nul-in-value"),
    pytest.param({"prompt": "none"}, "login_required", id="OIDC-Core-3.1.2.6-prompt-none-without-session"),
])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_RFC6749_4_1_2_1_error_redirects_with_state_and_iss(client, world, change, error, method):
    school = world.schools["alpha"]
    params = request_params(school, state=STATE, **change)
    if method == "GET":
        response = client.get("/authorize", query_string=params)
    else:
        response = client.post("/authorize", data=params)
    assert_error_redirect(response, school, error, STATE)


def test_RFC6749_4_1_2_1_error_without_state_has_no_state(client, world):
    school = world.schools["alpha"]
    response = client.get("/authorize", query_string=request_params(school, state=None, prompt="none"))
    assert_error_redirect(response, school, "login_required", None)


@pytest.mark.parametrize("claims, forge", [
    pytest.param({"iss": "https://evil.example"}, False, id="OIDC-Core-3.1.2.1-id_token_hint-foreign-issuer"),
    pytest.param({}, True, id="OIDC-Core-3.1.2.1-id_token_hint-forged-signature"),
])
def test_OIDC_Core_3_1_2_1_id_token_hint_not_ours(app, client, world, claims, forge):
    school = world.schools["alpha"]
    hint = sign_id_token(app, {"sub": world.accounts["alpha/mari"], **claims}, forge=forge)
    params = request_params(school, id_token_hint=hint)
    response = client.get("/authorize", query_string=params)
    assert_error_redirect(response, school, "invalid_request", params["state"])


# --- success -----------------------------------------------------------------------------------

def test_RFC9207_2_success_has_code_state_and_iss(client, world):
    school = world.schools["alpha"]
    response, verifier, _ = authorize(client, school, "mari", state=STATE)
    code = assert_code_redirect(response, school, STATE)
    assert exchange(client, school, code, verifier).status_code == 200


def test_OIDC_Core_3_1_2_1_post_works_like_get(client, world):
    school = world.schools["alpha"]
    log_in(client, school, "mari")
    verifier, challenge = pkce_pair()
    params = auth_params(school, challenge, prompt="none")
    code = assert_code_redirect(client.post("/authorize", data=params), school, params["state"])
    assert exchange(client, school, code, verifier).status_code == 200


def test_OIDC_Core_3_1_2_1_no_openid_is_plain_oauth(client, world):
    """Without ``openid`` the request is plain OAuth 2.0 (OIDC Core 3.1.2.1: behaviour unspecified):
    a code and an access token, but no ID token and no UserInfo access."""
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari", scope="profile email")
    assert "id_token" not in tokens
    assert set(tokens["scope"].split()) == {"profile", "email"}
    info = userinfo(client, tokens["access_token"])
    assert info.status_code == 403 and info.get_json()["error"] == "insufficient_scope"


def test_OIDC_Core_3_1_2_1_no_openid_and_no_session_never_issues_a_code(client, world):
    response, _, _ = authorize(client, world.schools["alpha"], scope="profile", prompt="none")
    assert response.status_code == 302
    assert "code=" not in response.location


# --- prompt, max_age, hints --------------------------------------------------------------------

def test_OIDC_Core_3_1_2_1_prompt_none_with_session_answers_without_ui(client, world):
    school = world.schools["alpha"]
    log_in(client, school, "mari")
    response, verifier, params = authorize(client, school, prompt="none")
    code = assert_code_redirect(response, school, params["state"])
    assert exchange(client, school, code, verifier).status_code == 200


def test_OIDC_Core_3_1_2_1_prompt_login_reauthenticates(app, client, world):
    school = world.schools["alpha"]
    with time_machine.travel(T0, tick=False) as traveller:
        log_in(client, school, "mari")
        traveller.shift(dt.timedelta(minutes=5))
        response, verifier, params = authorize(client, school, prompt="login")
        assert is_login_redirect(response)
        response = relogin(client, response, "mari")
        code = assert_code_redirect(response, school, params["state"])
        tokens = exchange(client, school, code, verifier).get_json()
    claims = decode_id_token(app, tokens["id_token"]).claims
    assert claims["auth_time"] == int((T0 + dt.timedelta(minutes=5)).timestamp())


@pytest.mark.parametrize("max_age, after, login", [
    pytest.param("0", 0, True, id="OIDC-Core-3.1.2.1-max_age-0-is-prompt-login"),
    pytest.param("60", 120, True, id="OIDC-Core-3.1.2.1-max_age-exceeded"),
    pytest.param("300", 120, False, id="OIDC-Core-3.1.2.1-max_age-not-exceeded"),
])
def test_OIDC_Core_3_1_2_1_max_age(client, world, max_age, after, login):
    school = world.schools["alpha"]
    with time_machine.travel(T0, tick=False) as traveller:
        log_in(client, school, "mari")
        traveller.shift(dt.timedelta(seconds=after))
        response, _, params = authorize(client, school, max_age=max_age)
        if login:
            assert is_login_redirect(response)
            assert_code_redirect(relogin(client, response, "mari"), school, params["state"])
        else:
            assert_code_redirect(response, school, params["state"])


def test_OIDC_Core_3_1_2_1_max_age_exceeded_with_prompt_none_is_login_required(client, world):
    school = world.schools["alpha"]
    with time_machine.travel(T0, tick=False) as traveller:
        log_in(client, school, "mari")
        traveller.shift(dt.timedelta(minutes=10))
        response, _, params = authorize(client, school, max_age="60", prompt="none")
    assert_error_redirect(response, school, "login_required", params["state"])


def test_OIDC_Core_3_1_2_1_id_token_hint_of_another_account_prompt_none(app, client, world):
    school = world.schools["alpha"]
    other = app.test_client()
    juhan = log_in(other, school, "juhan")
    mari = log_in(client, school, "mari")
    response, _, params = authorize(client, school, prompt="none", id_token_hint=juhan["id_token"])
    assert_error_redirect(response, school, "login_required", params["state"])
    response, _, params = authorize(client, school, prompt="none", id_token_hint=mari["id_token"])
    assert_code_redirect(response, school, params["state"])


def test_OIDC_Core_3_1_2_1_id_token_hint_of_another_account_asks_to_log_in(app, client, world):
    school = world.schools["alpha"]
    juhan = log_in(app.test_client(), school, "juhan")
    log_in(client, school, "mari")
    response, _, _ = authorize(client, school, id_token_hint=juhan["id_token"])
    assert is_login_redirect(response)


def test_OIDC_Core_3_1_2_1_login_hint_prefills_username(client, world):
    response, _, _ = authorize(client, world.schools["alpha"], login_hint="mari@example.ee")
    assert is_login_redirect(response)
    page = client.get(response.location).get_data(as_text=True)
    assert 'value="mari@example.ee"' in page


def test_OIDC_Core_3_1_2_1_ui_locales_en_shows_english_login_page(client, world):
    response, _, _ = authorize(client, world.schools["alpha"], ui_locales="en-GB et")
    page = client.get(response.location).get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page and "Logi sisse" not in page


def test_OIDC_Core_3_1_2_1_default_login_page_is_estonian(client, world):
    response, _, _ = authorize(client, world.schools["alpha"])
    page = client.get(response.location).get_data(as_text=True)
    assert '<html lang="et">' in page and "Logi sisse" in page


def test_OIDC_Core_3_1_2_1_school_without_account_shows_login_despite_session(client, world):
    log_in(client, world.schools["alpha"], "juhan")  # juhan has no account at beta
    beta = world.schools["beta"]
    response, _, _ = authorize(client, beta)
    assert is_login_redirect(response)
    response, _, params = authorize(client, beta, prompt="none")
    assert_error_redirect(response, beta, "login_required", params["state"])
