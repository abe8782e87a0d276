"""The relying-party side of the authorization code flow with PKCE."""

from __future__ import annotations

import base64
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests

from ._http import HTTPFailure, fetch_json
from .config import ClientSettings
from .discovery import DiscoveryCache, ProviderMetadata
from .errors import (
    AuthorizationResponseError,
    TokenEndpointError,
    TokenVerificationError,
    UserinfoError,
)
from .jwks import JWKSCache
from .models import LoginResult, LoginState, TokenSet, pkce_pair
from .tokens import verify_id_token, verify_logout_token, verify_security_event

__all__ = ["OIDCClient", "add_query"]

_RESERVED_PARAMS = frozenset(
    {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
     "code_challenge_method", "request", "request_uri"}
)


def add_query(url: str, params: Mapping[str, str | None]) -> str:
    """Return ``url`` with ``params`` (``None`` values skipped) appended to its query."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class OIDCClient:
    """A confidential OpenID Connect client for one school.

    :param settings: validated :class:`ClientSettings`.
    :param http: ``requests.Session`` for all calls to the IdP.
    :param clock: returns the current time in seconds.
    """

    def __init__(
        self,
        settings: ClientSettings,
        http: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.http = http or requests.Session()
        self.clock = clock
        self.discovery = DiscoveryCache(
            settings.issuer, http=self.http, ttl=settings.discovery_ttl, timeout=settings.http_timeout,
            allow_insecure_http=settings.allow_insecure_http, clock=clock,
        )
        self.jwks = JWKSCache(
            lambda: self.discovery.get().jwks_uri, http=self.http,
            min_refetch_interval=settings.jwks_min_refetch_interval, fallback_ttl=settings.jwks_fallback_ttl,
            max_ttl=settings.jwks_max_ttl, timeout=settings.http_timeout, clock=clock,
        )

    def metadata(self) -> ProviderMetadata:
        """Provider metadata (cached; :raises DiscoveryError: when unavailable)."""
        return self.discovery.get()

    def begin_login(
        self,
        extra: Mapping[str, str] | None = None,
        *,
        login_hint: str | None = None,
        prompt: str | None = None,
        ui_locales: str | None = None,
        max_age: int | None = None,
    ) -> tuple[str, LoginState]:
        """Build the authorization request URL (OIDC Core 1.0 §3.1.2.1, RFC 7636 §4.3).

        Generates fresh ``state``, ``nonce`` and a PKCE S256 ``code_verifier``.
        Store the returned :class:`LoginState` server-side and redirect the
        browser to the URL. ``extra`` may add parameters but not override the
        protocol ones (``ValueError``).

        :raises DiscoveryError: when the provider metadata is unavailable.
        """
        if extra and _RESERVED_PARAMS & set(extra):
            raise ValueError(f"extra may not set {sorted(_RESERVED_PARAMS & set(extra))}")
        verifier, challenge = pkce_pair()
        login_state = LoginState(
            state=secrets.token_urlsafe(32), nonce=secrets.token_urlsafe(32), code_verifier=verifier,
            redirect_uri=self.settings.redirect_uri, created_at=self.clock(), max_age=max_age,
        )
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": login_state.redirect_uri,
            "scope": " ".join(self.settings.scopes),
            "state": login_state.state,
            "nonce": login_state.nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "login_hint": login_hint or None,
            "prompt": prompt or None,
            "ui_locales": ui_locales or None,
            "max_age": None if max_age is None else str(int(max_age)),
        }
        params.update(extra or {})
        return add_query(self.metadata().authorization_endpoint, params), login_state

    def finish_login(self, callback_params: Mapping[str, str], login_state: LoginState) -> LoginResult:
        """Validate the authorization response, redeem the code and verify the result.

        Verifies, in order: ``state`` equals the stored one (RFC 6749 §10.12);
        the login is not older than ``login_state_ttl``; ``iss`` equals the
        issuer — required when the metadata announces
        ``authorization_response_iss_parameter_supported``, and compared
        whenever present (RFC 9207 §2.4); no ``error`` (RFC 6749 §4.1.2.1);
        then exchanges the code with ``client_secret_basic``, ``code_verifier``
        and ``redirect_uri`` (OIDC Core §3.1.3.1, RFC 7636 §4.5), verifies the
        ID token (§3.1.3.7, incl. ``nonce``, ``max_age``, ``at_hash``) and, if
        enabled, fetches UserInfo and checks its ``sub`` (§5.3.2).

        :raises AuthorizationResponseError: state/iss/error problems.
        :raises TokenEndpointError: the code exchange failed.
        :raises TokenVerificationError: the ID token was rejected.
        :raises UserinfoError: UserInfo failed or its ``sub`` differs.
        :raises DiscoveryError: metadata or JWKS unavailable.
        """
        got_state = callback_params.get("state") or ""
        if not hmac.compare_digest(got_state.encode(), login_state.state.encode()):
            raise AuthorizationResponseError("state_mismatch", "state does not match this login")
        if self.clock() - login_state.created_at > self.settings.login_state_ttl:
            raise AuthorizationResponseError("login_expired", "the login took too long")
        metadata = self.metadata()
        iss = callback_params.get("iss")
        if iss is None and metadata.iss_parameter_supported:
            raise AuthorizationResponseError("iss_missing", "the authorization response lacks iss (RFC 9207)")
        if iss is not None and iss != self.settings.issuer:
            raise AuthorizationResponseError("iss_mismatch", "the authorization response is from another issuer")
        if callback_params.get("error"):
            raise AuthorizationResponseError(callback_params["error"],
                                             callback_params.get("error_description", ""))
        code = callback_params.get("code")
        if not code:
            raise AuthorizationResponseError("invalid_response", "no code in the authorization response")
        body = self._token_request(metadata, {
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": login_state.redirect_uri, "code_verifier": login_state.code_verifier,
        })
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise TokenEndpointError("invalid_response", "the token response has no id_token")
        access_token = str(body["access_token"])
        claims = verify_id_token(
            id_token, issuer=self.settings.issuer, audience=self.settings.client_id,
            algorithms=self.settings.algorithms, keys=self.jwks, nonce=login_state.nonce,
            leeway=self.settings.leeway, now=self.clock(), max_age=login_state.max_age,
            access_token=access_token, require_at_hash=self.settings.require_at_hash,
        )
        userinfo = None
        if self.settings.fetch_userinfo and metadata.userinfo_endpoint:
            userinfo = self.userinfo(access_token)
            if userinfo.get("sub") != claims["sub"]:
                raise UserinfoError("sub_mismatch", "UserInfo sub differs from the ID token sub")
        return LoginResult(
            id_token=id_token, claims=claims, access_token=access_token,
            refresh_token=_opt_str(body.get("refresh_token")), expires_at=self._expires_at(body),
            userinfo=userinfo, scope=_opt_str(body.get("scope")),
        )

    def refresh(self, refresh_token: str, *, previous_claims: Mapping[str, Any] | None = None) -> TokenSet:
        """Use a refresh token (RFC 6749 §6; OIDC Core 1.0 §12).

        Our IdP rotates refresh tokens: always store the returned
        ``refresh_token`` (it falls back to the old one only if none is sent).
        A returned ID token is verified (no nonce check, §12.2) and, given
        ``previous_claims``, must have the same ``sub`` and ``auth_time``.

        :raises TokenEndpointError: e.g. ``invalid_grant`` for a used/revoked token.
        :raises TokenVerificationError: the new ID token was rejected (``sub_mismatch``...).
        """
        body = self._token_request(self.metadata(), {"grant_type": "refresh_token", "refresh_token": refresh_token})
        access_token = str(body["access_token"])
        id_token = _opt_str(body.get("id_token"))
        claims = None
        if id_token is not None:
            claims = verify_id_token(
                id_token, issuer=self.settings.issuer, audience=self.settings.client_id,
                algorithms=self.settings.algorithms, keys=self.jwks, nonce=None, leeway=self.settings.leeway,
                now=self.clock(), access_token=access_token,
            )
            if previous_claims is not None:
                for name in ("sub", "auth_time"):
                    if name in previous_claims and claims.get(name) != previous_claims[name]:
                        raise TokenVerificationError(f"{name}_mismatch", f"refreshed ID token changed {name}",
                                                     claim=name)
        return TokenSet(
            access_token=access_token, refresh_token=_opt_str(body.get("refresh_token")) or refresh_token,
            expires_at=self._expires_at(body), id_token=id_token, claims=claims, scope=_opt_str(body.get("scope")),
        )

    def userinfo(self, access_token: str) -> dict[str, Any]:
        """GET the UserInfo endpoint with a Bearer token (OIDC Core 1.0 §5.3, RFC 6750 §2.1).

        :raises UserinfoError: ``http_error``, ``network_error`` or ``invalid_response``.
        """
        endpoint = self.metadata().userinfo_endpoint
        if endpoint is None:
            raise UserinfoError("invalid_response", "the provider has no userinfo_endpoint")
        try:
            resp = fetch_json(self.http, "GET", endpoint, timeout=self.settings.http_timeout,
                              headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
        except HTTPFailure as exc:
            raise UserinfoError("network_error" if exc.status is None else "http_error", str(exc)) from exc
        if not isinstance(resp.data.get("sub"), str):
            raise UserinfoError("invalid_response", "UserInfo has no sub")
        return resp.data

    def end_session_url(
        self,
        id_token_hint: str | None = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        ui_locales: str | None = None,
    ) -> str | None:
        """URL of the IdP's ``end_session_endpoint`` (OIDC RP-Initiated Logout 1.0 §2).

        Adds ``id_token_hint``, ``client_id``, ``post_logout_redirect_uri``
        (default: the configured one), ``state`` and ``ui_locales``. Returns
        ``None`` when the provider has no ``end_session_endpoint``.
        """
        endpoint = self.metadata().end_session_endpoint
        if endpoint is None:
            return None
        return add_query(endpoint, {
            "id_token_hint": id_token_hint, "client_id": self.settings.client_id,
            "post_logout_redirect_uri": post_logout_redirect_uri or self.settings.post_logout_redirect_uri,
            "state": state, "ui_locales": ui_locales,
        })

    def verify_logout_token(self, token: str, jti_seen: Callable[[str, int], bool]) -> dict[str, Any]:
        """Verify a back-channel logout token with this client's settings.

        See :func:`schools_client.tokens.verify_logout_token` (Back-Channel Logout 1.0 §2.6).
        """
        return verify_logout_token(
            token, issuer=self.settings.issuer, audience=self.settings.client_id,
            algorithms=self.settings.algorithms, keys=self.jwks, leeway=self.settings.leeway,
            now=self.clock(), jti_seen=jti_seen,
        )

    def verify_security_event(self, token: str, *, max_age: int = 600) -> dict[str, Any]:
        """Verify a profile-sync Security Event Token (RFC 8417) with this client's settings.

        See :func:`schools_client.tokens.verify_security_event`; ``max_age`` is
        the oldest ``iat`` (seconds) still accepted.
        """
        return verify_security_event(
            token, issuer=self.settings.issuer, audience=self.settings.client_id,
            algorithms=self.settings.algorithms, keys=self.jwks, leeway=self.settings.leeway,
            now=self.clock(), max_age=max_age,
        )

    def _token_request(self, metadata: ProviderMetadata, data: dict[str, str]) -> dict[str, Any]:
        """POST to the token endpoint with ``client_secret_basic`` (RFC 6749 §2.3.1, §5)."""
        user = quote(self.settings.client_id, safe="")
        password = quote(self.settings.client_secret, safe="")
        basic = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        try:
            resp = fetch_json(self.http, "POST", metadata.token_endpoint, timeout=self.settings.http_timeout,
                              data=data, headers={"Authorization": f"Basic {basic}", "Accept": "application/json"})
        except HTTPFailure as exc:
            if exc.status is None:
                raise TokenEndpointError("network_error", str(exc)) from exc
            err = exc.body if isinstance(exc.body, dict) else {}
            raise TokenEndpointError(str(err.get("error") or "server_error"),
                                     str(err.get("error_description") or ""), exc.status) from exc
        body = resp.data
        if not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise TokenEndpointError("invalid_response", "no access_token", resp.status)
        if str(body.get("token_type", "")).lower() != "bearer":
            raise TokenEndpointError("invalid_response", "token_type is not Bearer", resp.status)
        return body

    def _expires_at(self, body: Mapping[str, Any]) -> float | None:
        expires_in = body.get("expires_in")
        if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
            return self.clock() + float(expires_in)
        return None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
