"""OIDC Back-Channel Logout 1.0 logout tokens and Front-Channel Logout 1.0 URIs."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

from flask import current_app

from ..models import School
from .oidc import sign_jwt

#: BCL 2.4: the events claim member that makes a JWT a logout token
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_LIFETIME = 120


def logout_token(school: School, *, sub: str, sid: str | None) -> str:
    """BCL 2.4: iss, aud, iat, exp, jti, events, sub and sid; never a nonce (2.4, 2.6)."""
    now = int(time.time())
    claims = {
        "iss": current_app.config["ISSUER"],
        "aud": school.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_LIFETIME,
        "jti": secrets.token_urlsafe(24),
        "sub": sub,
        "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
    }
    if sid:
        claims["sid"] = sid
    # BCL 2.4: explicitly typed (RFC 8725 3.11) so it cannot be confused with an ID token
    return sign_jwt(claims, typ="logout+jwt")


def frontchannel_uri(school: School, sid: str) -> str:
    """FCL 2: the RP's frontchannel_logout_uri with ``iss`` and ``sid`` added."""
    uri = school.frontchannel_logout_uri
    separator = "&" if "?" in uri else "?"
    return f"{uri}{separator}{urlencode({'iss': current_app.config['ISSUER'], 'sid': sid})}"
