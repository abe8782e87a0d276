"""Typed, validated settings of one relying party (one school's Stuudium)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import ConfigurationError

__all__ = [
    "DEFAULT_SCOPES",
    "SUPPORTED_ALGORITHMS",
    "ClientSettings",
    "check_url",
    "is_loopback_host",
    "origin_of",
    "validate_algorithms",
]

#: Asymmetric JWS algorithms this library is willing to verify. ``none`` and
#: the HMAC family are deliberately absent (RFC 8725 §3.1, §3.2).
SUPPORTED_ALGORITHMS: frozenset[str] = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)

DEFAULT_SCOPES: tuple[str, ...] = ("openid", "profile", "email", "phone", "roles", "schools")


def validate_algorithms(algorithms: Iterable[str]) -> tuple[str, ...]:
    """Return ``algorithms`` as a tuple after checking it is a safe allow-list.

    Raises :class:`ConfigurationError` (a ``ValueError``) for a bare string, an
    empty list, ``none`` in any letter case, or anything outside
    :data:`SUPPORTED_ALGORITHMS` (RFC 8725 §3.1: verifiers must use an explicit
    allow-list and never accept ``none``).
    """
    if isinstance(algorithms, str):
        raise ConfigurationError("algorithms must be a list of names, not a string")
    algs = tuple(algorithms)
    if not algs:
        raise ConfigurationError("algorithms must not be empty")
    for alg in algs:
        if not isinstance(alg, str) or alg.lower() == "none":
            raise ConfigurationError("the 'none' algorithm is never allowed")
        if alg not in SUPPORTED_ALGORITHMS:
            raise ConfigurationError(f"algorithm {alg!r} is not supported")
    return algs


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost``, ``*.localhost`` and loopback IP addresses."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(name: str, value: str, *, allow_insecure_http: bool, allow_query: bool = True) -> str:
    """Validate an absolute http(s) URL without a fragment; return it unchanged.

    ``http`` is accepted only when ``allow_insecure_http`` is true **and** the
    host is a loopback host (development on ``localhost``).
    """
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"{name} must be an absolute http(s) URL: {value!r}")
    if parts.scheme == "http" and not (allow_insecure_http and is_loopback_host(parts.hostname)):
        raise ConfigurationError(
            f"{name} must use https (http is only allowed for localhost with allow_insecure_http=True)"
        )
    if parts.fragment or value.endswith("#"):
        raise ConfigurationError(f"{name} must not contain a fragment")
    if not allow_query and (parts.query or "?" in value):
        raise ConfigurationError(f"{name} must not contain a query")
    if parts.username or parts.password:
        raise ConfigurationError(f"{name} must not contain credentials")
    return value


@dataclass(frozen=True)
class ClientSettings:
    """Settings of a confidential OpenID Connect client, validated on construction.

    :param issuer: the IdP's issuer identifier, exactly as it appears in ``iss``
        (absolute URL, no query, no fragment; OIDC Discovery §2).
    :param client_id: the client identifier the IdP registered for this school.
    :param client_secret: secret for ``client_secret_basic`` (never shown in ``repr``).
    :param redirect_uri: the registered callback, e.g. ``https://kool.ee/oidc/callback``.
    :param post_logout_redirect_uri: registered post-logout redirect (optional).
    :param scopes: requested scopes; must contain ``openid``.
    :param algorithms: JWS algorithms accepted for ID and logout tokens.
    :param leeway: allowed clock skew in seconds for ``exp``/``iat``/``nbf``.
    :param http_timeout: timeout in seconds of every request to the IdP.
    :param jwks_min_refetch_interval: at most one JWKS refetch per this many
        seconds when an unknown ``kid`` appears.
    :param jwks_fallback_ttl: JWKS cache lifetime when the response has no
        ``Cache-Control: max-age``.
    :param jwks_max_ttl: upper bound of the JWKS cache lifetime.
    :param discovery_ttl: provider metadata cache lifetime in seconds.
    :param login_state_ttl: how long a started login may take, in seconds.
    :param require_at_hash: reject an ID token from the token endpoint that
        lacks ``at_hash`` (our IdP always sends it).
    :param fetch_userinfo: call the UserInfo endpoint after login.
    :param allow_insecure_http: permit ``http://`` URLs on loopback hosts (demo only).
    """

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    post_logout_redirect_uri: str | None = None
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway: int = 60
    http_timeout: float = 5.0
    jwks_min_refetch_interval: float = 60.0
    jwks_fallback_ttl: float = 300.0
    jwks_max_ttl: float = 86400.0
    discovery_ttl: float = 3600.0
    login_state_ttl: float = 600.0
    require_at_hash: bool = True
    fetch_userinfo: bool = True
    allow_insecure_http: bool = False

    def __post_init__(self) -> None:
        insecure = self.allow_insecure_http
        check_url("issuer", self.issuer, allow_insecure_http=insecure, allow_query=False)
        check_url("redirect_uri", self.redirect_uri, allow_insecure_http=insecure)
        if self.post_logout_redirect_uri is not None:
            check_url("post_logout_redirect_uri", self.post_logout_redirect_uri, allow_insecure_http=insecure)
        for name in ("client_id", "client_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigurationError(f"{name} must be a non-empty string")
        scopes = (self.scopes.split() if isinstance(self.scopes, str) else tuple(self.scopes))
        if "openid" not in scopes:
            raise ConfigurationError("scopes must include 'openid'")
        object.__setattr__(self, "scopes", tuple(scopes))
        object.__setattr__(self, "algorithms", validate_algorithms(self.algorithms))
        if not 0 <= self.leeway <= 600:
            raise ConfigurationError("leeway must be between 0 and 600 seconds")
        for name in (
            "http_timeout",
            "jwks_fallback_ttl",
            "jwks_max_ttl",
            "discovery_ttl",
            "login_state_ttl",
        ):
            if getattr(self, name) <= 0:
                raise ConfigurationError(f"{name} must be positive")
        if self.jwks_min_refetch_interval < 0:
            raise ConfigurationError("jwks_min_refetch_interval must not be negative")

    @property
    def discovery_url(self) -> str:
        """``{issuer}/.well-known/openid-configuration`` (OIDC Discovery §4)."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @property
    def issuer_origin(self) -> str:
        """``scheme://host[:port]`` of the issuer (used for ``frame-ancestors``)."""
        return origin_of(self.issuer)


def origin_of(url: str) -> str:
    """Return the RFC 6454 origin ``scheme://host[:port]`` of an absolute URL.

    Scheme and host are lower-cased and a default port (80/443) is dropped, so
    two spellings of the same origin compare equal. Returns ``""`` for a URL
    without scheme or host.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return ""
    if not scheme or not host:
        return ""
    if ":" in host:
        host = f"[{host}]"
    if port is None or (scheme, port) in (("http", 80), ("https", 443)):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
