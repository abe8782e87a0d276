"""Driving the login page as a browser would: ID-card through the Web eID endpoints (the token
signed here, as the card would), Smart-ID through the stand-in (the test plays the phone)."""

from __future__ import annotations

import requests
from joserfc import jwt

from tests.eid.support import ORIGIN, sign_web_eid
from tests.helpers import auth_params, csrf_token, exchange, pkce_pair, query


def authorize_url(client, school: dict, **extra) -> tuple[str, str, dict]:
    """Start an authorization request; returns (login page URL, PKCE verifier, params)."""
    verifier, challenge = pkce_pair()
    params = auth_params(school, challenge, **extra)
    response = client.get("/authorize", query_string=params)
    assert response.status_code == 302 and response.location.startswith("/login/"), \
        (response.status_code, response.location)
    return response.location, verifier, params


def profile_login_url(client, slug: str) -> str:
    response = client.get(f"/login/school/{slug}")
    assert response.status_code == 302
    return response.location


def page_token(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return csrf_token(page.get_data(as_text=True))


def idcard_post(client, login_url: str, key, certificate, *, origin: str = ORIGIN,
                tamper=None):
    """The page's ID-card login: challenge, card signature, token POST; returns the response."""
    token = page_token(client, login_url)
    headers = {"X-CSRFToken": token}
    challenge = client.post(f"{login_url}/idcard/challenge", headers=headers)
    assert challenge.status_code == 200, challenge.get_data(as_text=True)
    nonce = challenge.get_json()["nonce"]
    signed = sign_web_eid(key, certificate, "ES384", origin=origin, nonce=nonce)
    if tamper:
        tamper(signed)
    return client.post(f"{login_url}/idcard", json={"token": signed}, headers=headers)


def idcard_login(client, login_url: str, key, certificate) -> str:
    """A successful ID-card login; returns where the page goes next."""
    response = idcard_post(client, login_url, key, certificate)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["redirect"]


def smartid_start(client, login_url: str, personal_code: str = ""):
    token = page_token(client, login_url)
    return client.post(f"{login_url}/smartid", data={"csrf_token": token,
                                                     "personal_code": personal_code})


def phone_confirms(standin, personal_code: str, flow_type: str = "Notification") -> None:
    """The person answers on the phone (the stand-in's phone page)."""
    session = standin.waiting()
    answer = requests.post(f"{standin.url}/phone/{session.id}/confirm", timeout=10,
                           data={"personal_code": personal_code, "flow_type": flow_type})
    assert answer.status_code == 200, answer.text


def smartid_status(client, login_url: str) -> dict:
    token = page_token(client, f"{login_url}/smartid")
    response = client.post(f"{login_url}/smartid/status", headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def smartid_login(client, standin, login_url: str, personal_code: str,
                  by_code: bool = True) -> dict:
    """Start (by personal code, or by QR), confirm on the phone, ask the status once."""
    started = smartid_start(client, login_url, personal_code if by_code else "")
    assert started.status_code == 303 and started.location.endswith("/smartid"), \
        (started.status_code, started.location)
    assert smartid_status(client, login_url) == {"state": "running"}
    phone_confirms(standin, personal_code, "Notification" if by_code else "QR")
    return smartid_status(client, login_url)


def code_and_tokens(client, school: dict, next_url: str, verifier: str) -> dict:
    response = client.get(next_url)
    assert response.status_code == 302 and response.location.startswith(school["redirect_uri"]), \
        (response.status_code, response.location)
    tokens = exchange(client, school, query(response.location)["code"], verifier)
    assert tokens.status_code == 200, tokens.get_json()
    return tokens.get_json()


def id_token_claims(app, tokens: dict) -> dict:
    return jwt.decode(tokens["id_token"], app.extensions["keystore"].verification_keys()).claims
