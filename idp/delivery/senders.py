"""Senders: one attempt to deliver one message. They return an outcome, they never raise.

Outcomes: ``delivered``; ``final`` (the receiver refused: a 4xx other than 408/429 — retrying
cannot help); ``retry`` (network error, timeout, 5xx, 408, 429).
"""

from __future__ import annotations

import requests
from flask import current_app

from .mail import send_email

RETRYABLE_STATUS = {408, 425, 429}


def classify(status: int) -> str:
    if 200 <= status < 300:
        return "delivered"
    if status in RETRYABLE_STATUS or status >= 500:
        return "retry"
    return "final"


def post_logout_token(target: str, payload: dict, timeout: float,
                      school_id: int | None = None) -> tuple[str, str | None]:
    """OIDC Back-Channel Logout 1.0 2.5: POST ``logout_token`` form-encoded to the RP.

    The token is signed at each attempt: a school that was down for an hour must not be handed
    a token that expired while it was away (BCL 2.4 asks for a short ``exp``).
    """
    token = payload.get("logout_token") or mint_logout_token(school_id, payload)
    if token is None:
        return "final", "the school no longer exists"
    return _post(target, {"logout_token": token}, {"Accept": "application/json"}, timeout)


def post_security_event(target: str, payload: dict, timeout: float,
                        school_id: int | None = None) -> tuple[str, str | None]:
    """RFC 8935 2: POST the SET as ``application/secevent+jwt``; 202 Accepted means delivered.

    Signed at each attempt from the account as it is then (``services/profile_sync.py``).
    """
    from ..services.profile_sync import account_updated_token

    token = account_updated_token(school_id, payload)
    if token is None:
        return "final", "the account no longer exists at this school"
    return _post(target, token, {"Content-Type": "application/secevent+jwt",
                                 "Accept": "application/json"}, timeout, retry_also=key_unknown)


def key_unknown(response: requests.Response) -> bool:
    """RFC 8935 2.4 ``invalid_key``: most likely the school has not fetched a key we published
    lately (its JWKS cache refreshes on its own schedule). Worth another try, unlike the other
    refusals."""
    try:
        return response.status_code == 400 and response.json().get("err") == "invalid_key"
    except (ValueError, AttributeError):
        return False


def _post(target: str, data, headers: dict, timeout: float,
          retry_also=None) -> tuple[str, str | None]:
    try:
        response = requests.post(target, data=data, timeout=timeout, allow_redirects=False,
                                 headers=headers)
    except requests.RequestException as exc:
        return "retry", f"{type(exc).__name__}: {exc}"[:500]
    outcome = classify(response.status_code)
    if outcome == "final" and retry_also is not None and retry_also(response):
        outcome = "retry"
    return outcome, None if outcome == "delivered" else f"HTTP {response.status_code}: {response.text[:300]}"


def mint_logout_token(school_id: int | None, payload: dict) -> str | None:
    from ..extensions import db
    from ..models import School
    from ..oauth.backchannel import logout_token

    school = db.session.get(School, school_id) if school_id is not None else None
    if school is None:
        return None
    return logout_token(school, sub=payload["sub"], sid=payload.get("sid"))


def send(kind: str, target: str, payload: dict, school_id: int | None = None) -> tuple[str, str | None]:
    timeout = current_app.config["DELIVERY_HTTP_TIMEOUT"]
    if kind == "backchannel_logout":
        return post_logout_token(target, payload, timeout, school_id)
    if kind == "security_event":
        return post_security_event(target, payload, timeout, school_id)
    if kind == "email":
        return send_email(target, payload)
    return "final", f"unknown kind {kind}"
