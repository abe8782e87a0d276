"""Test helpers for school applications: a fake IdP and token minting.

Example with the ``responses`` library::

    issuer = FakeIssuer()
    with responses.RequestsMock() as rsps:
        issuer.register(rsps)                     # discovery + JWKS
        token = issuer.mint_id_token(audience="my-client", nonce=login_state.nonce)
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from joserfc import jwt
from joserfc.jwk import ECKey, Key, KeyParameters, RSAKey

from .tokens import ACCOUNT_UPDATED_EVENT, BACKCHANNEL_LOGOUT_EVENT, compute_at_hash

if TYPE_CHECKING:  # pragma: no cover
    import responses

__all__ = ["FakeIssuer", "generate_key", "mint_id_token", "mint_logout_token", "mint_security_event"]


def generate_key(alg: str = "RS256", kid: str | None = None) -> Key:
    """Generate a private signing key for ``alg`` (RSA 2048 or EC P-256) with a ``kid``."""
    params: KeyParameters = {"use": "sig", "alg": alg}
    if kid:
        params["kid"] = kid
    if alg.startswith("ES"):
        return ECKey.generate_key("P-256", params, auto_kid=kid is None)
    return RSAKey.generate_key(2048, params, auto_kid=kid is None)


def _sign(key: Key, claims: Mapping[str, Any], *, alg: str, header: Mapping[str, Any] | None, typ: str) -> str:
    hdr: dict[str, Any] = {"alg": alg, "typ": typ}
    if key.kid:
        hdr["kid"] = key.kid
    hdr.update(header or {})
    hdr = {k: v for k, v in hdr.items() if v is not None}
    return jwt.encode(hdr, dict(claims), key, algorithms=[hdr["alg"]], default_type=None)


def mint_id_token(
    key: Key,
    *,
    issuer: str,
    audience: str | list[str],
    sub: str = "test-sub",
    nonce: str | None = None,
    access_token: str | None = None,
    alg: str = "RS256",
    now: float | None = None,
    lifetime: int = 300,
    header: Mapping[str, Any] | None = None,
    **claims: Any,
) -> str:
    """Sign an ID token. ``sid``, ``auth_time``, ``amr``, ``acr`` etc. go in ``claims``;
    a claim given as ``None`` is removed; ``header`` entries override (``None`` removes)."""
    issued = int(time.time() if now is None else now)
    body: dict[str, Any] = {"iss": issuer, "sub": sub, "aud": audience, "iat": issued,
                            "exp": issued + lifetime, "auth_time": issued}
    if nonce is not None:
        body["nonce"] = nonce
    if access_token is not None:
        body["at_hash"] = compute_at_hash(access_token, alg)
    body.update(claims)
    return _sign(key, {k: v for k, v in body.items() if v is not None}, alg=alg, header=header, typ="JWT")


def mint_logout_token(
    key: Key,
    *,
    issuer: str,
    audience: str | list[str],
    sub: str | None = "test-sub",
    sid: str | None = None,
    alg: str = "RS256",
    now: float | None = None,
    lifetime: int = 120,
    header: Mapping[str, Any] | None = None,
    **claims: Any,
) -> str:
    """Sign a Back-Channel Logout 1.0 logout token (``typ: logout+jwt``, fresh ``jti``)."""
    issued = int(time.time() if now is None else now)
    body: dict[str, Any] = {"iss": issuer, "aud": audience, "iat": issued, "exp": issued + lifetime,
                            "jti": secrets.token_urlsafe(16), "sub": sub, "sid": sid,
                            "events": {BACKCHANNEL_LOGOUT_EVENT: {}}}
    body.update(claims)
    return _sign(key, {k: v for k, v in body.items() if v is not None}, alg=alg, header=header, typ="logout+jwt")


def mint_security_event(
    key: Key,
    *,
    issuer: str,
    audience: str | list[str],
    sub: str | None,
    version: int,
    claims: Mapping[str, Any],
    status: str = "active",
    jti: str | None = None,
    now: float | None = None,
    header: Mapping[str, Any] | None = None,
    alg: str = "RS256",
    **extra: Any,
) -> str:
    """Sign a profile-sync Security Event Token like the IdP pushes (``typ: secevent+jwt``, no ``exp``).

    The ``events`` claim holds :data:`~schools_client.tokens.ACCOUNT_UPDATED_EVENT`
    with ``version``, ``status`` and ``claims``; ``jti`` defaults to a fresh
    random value (give the same ``jti`` to mint a retransmission). ``extra``
    adds or overrides claims (``None`` removes one, e.g. ``events={...}``
    replaces the whole events claim); ``header`` entries override header
    parameters (``None`` removes).
    """
    issued = int(time.time() if now is None else now)
    body: dict[str, Any] = {
        "iss": issuer, "aud": audience, "iat": issued, "sub": sub,
        "jti": secrets.token_urlsafe(16) if jti is None else jti,
        "events": {ACCOUNT_UPDATED_EVENT: {"version": version, "status": status, "claims": dict(claims)}},
    }
    body.update(extra)
    return _sign(key, {k: v for k, v in body.items() if v is not None}, alg=alg, header=header,
                 typ="secevent+jwt")


class FakeIssuer:
    """An in-process stand-in for the IdP: keys, metadata, JWKS and tokens.

    :param issuer: issuer URL (endpoints are derived from it).
    :param alg: ``RS256`` (default) or ``ES256``.
    """

    def __init__(self, issuer: str = "https://idp.example.test", *, alg: str = "RS256",
                 kid: str = "fake-key-1") -> None:
        self.issuer = issuer
        self.alg = alg
        self.key = generate_key(alg, kid)
        base = self.issuer.rstrip("/")
        self.authorization_endpoint = f"{base}/authorize"
        self.token_endpoint = f"{base}/token"
        self.userinfo_endpoint = f"{base}/userinfo"
        self.jwks_uri = f"{base}/jwks"
        self.end_session_endpoint = f"{base}/logout"
        self.discovery_url = f"{base}/.well-known/openid-configuration"

    @property
    def metadata(self) -> dict[str, Any]:
        """Provider metadata like our IdP publishes it."""
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.authorization_endpoint,
            "token_endpoint": self.token_endpoint,
            "userinfo_endpoint": self.userinfo_endpoint,
            "jwks_uri": self.jwks_uri,
            "end_session_endpoint": self.end_session_endpoint,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [self.alg],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["openid", "profile", "email", "roles", "schools"],
            "authorization_response_iss_parameter_supported": True,
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "frontchannel_logout_supported": True,
            "frontchannel_logout_session_supported": True,
        }

    @property
    def jwks(self) -> dict[str, Any]:
        """The public JWK Set."""
        return {"keys": [self.key.as_dict(private=False)]}

    def register(self, rsps: responses.RequestsMock, *, jwks: bool = True,
                 jwks_headers: Mapping[str, str] | None = None) -> None:
        """Register the discovery document (and the JWKS) on a ``responses`` mock."""
        rsps.get(self.discovery_url, json=self.metadata)
        if jwks:
            rsps.get(self.jwks_uri, json=self.jwks, headers=dict(jwks_headers or {}))

    def token_response(self, *, audience: str, nonce: str | None, sub: str = "test-sub",
                       access_token: str | None = None, refresh_token: str | None = "refresh-1",
                       **claims: Any) -> dict[str, Any]:
        """A token endpoint JSON body with a freshly signed ID token."""
        access = access_token or secrets.token_urlsafe(24)
        body: dict[str, Any] = {
            "access_token": access, "token_type": "Bearer", "expires_in": 3600, "scope": "openid profile",
            "id_token": self.mint_id_token(audience=audience, nonce=nonce, sub=sub, access_token=access, **claims),
        }
        if refresh_token:
            body["refresh_token"] = refresh_token
        return body

    def mint_id_token(self, *, audience: str | list[str], **kwargs: Any) -> str:
        """:func:`mint_id_token` with this issuer's key, ``iss`` and ``alg``."""
        kwargs.setdefault("alg", self.alg)
        return mint_id_token(self.key, issuer=self.issuer, audience=audience, **kwargs)

    def mint_logout_token(self, *, audience: str | list[str], **kwargs: Any) -> str:
        """:func:`mint_logout_token` with this issuer's key, ``iss`` and ``alg``."""
        kwargs.setdefault("alg", self.alg)
        return mint_logout_token(self.key, issuer=self.issuer, audience=audience, **kwargs)

    def mint_security_event(self, *, audience: str | list[str], **kwargs: Any) -> str:
        """:func:`mint_security_event` with this issuer's key, ``iss`` and ``alg``."""
        kwargs.setdefault("alg", self.alg)
        return mint_security_event(self.key, issuer=self.issuer, audience=audience, **kwargs)
