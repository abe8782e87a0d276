"""OpenID Provider metadata: fetch, validate, cache (OpenID Connect Discovery 1.0)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from ._http import HTTPFailure, fetch_json
from .config import check_url
from .errors import ConfigurationError, DiscoveryError

__all__ = ["DiscoveryCache", "ProviderMetadata", "validate_metadata"]

log = logging.getLogger(__name__)

_REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
_OPTIONAL_ENDPOINTS = ("userinfo_endpoint", "end_session_endpoint", "revocation_endpoint")


class ProviderMetadata:
    """Validated provider metadata (a read-only view of the discovery document)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        """Return a metadata value, or ``default`` when it is absent."""
        return self._data.get(key, default)

    def as_dict(self) -> dict[str, Any]:
        """Return a copy of the raw metadata."""
        return dict(self._data)

    @property
    def issuer(self) -> str:
        return str(self._data["issuer"])

    @property
    def authorization_endpoint(self) -> str:
        return str(self._data["authorization_endpoint"])

    @property
    def token_endpoint(self) -> str:
        return str(self._data["token_endpoint"])

    @property
    def jwks_uri(self) -> str:
        return str(self._data["jwks_uri"])

    @property
    def userinfo_endpoint(self) -> str | None:
        value = self._data.get("userinfo_endpoint")
        return str(value) if value else None

    @property
    def end_session_endpoint(self) -> str | None:
        value = self._data.get("end_session_endpoint")
        return str(value) if value else None

    @property
    def iss_parameter_supported(self) -> bool:
        """``authorization_response_iss_parameter_supported`` (RFC 9207 §3)."""
        return self._data.get("authorization_response_iss_parameter_supported") is True


def validate_metadata(
    data: Mapping[str, Any], *, issuer: str, allow_insecure_http: bool = False
) -> ProviderMetadata:
    """Validate a discovery document and wrap it.

    Verifies (OIDC Discovery 1.0 §3 and §4.3): ``issuer`` is *exactly* the
    configured issuer; ``authorization_endpoint``, ``token_endpoint`` and
    ``jwks_uri`` are present absolute https URLs (http only for loopback with
    ``allow_insecure_http``); optional endpoints are valid URLs when present;
    ``response_types_supported`` (if given) contains ``code``;
    ``code_challenge_methods_supported`` (if given) contains ``S256``
    (RFC 8414 §2, RFC 7636).

    :raises DiscoveryError: when any check fails.
    """
    if data.get("issuer") != issuer:
        raise DiscoveryError(
            f"issuer mismatch: metadata says {data.get('issuer')!r}, expected {issuer!r} (OIDC Discovery §4.3)"
        )
    for name in _REQUIRED_ENDPOINTS + _OPTIONAL_ENDPOINTS:
        value = data.get(name)
        if value is None and name in _OPTIONAL_ENDPOINTS:
            continue
        try:
            check_url(name, value, allow_insecure_http=allow_insecure_http)  # type: ignore[arg-type]
        except ConfigurationError as exc:
            raise DiscoveryError(f"invalid provider metadata: {exc}") from exc
    response_types = data.get("response_types_supported")
    if response_types is not None and (not isinstance(response_types, list) or "code" not in response_types):
        raise DiscoveryError("provider does not support response_type=code")
    methods = data.get("code_challenge_methods_supported")
    if methods is not None and (not isinstance(methods, list) or "S256" not in methods):
        raise DiscoveryError("provider does not support PKCE S256")
    return ProviderMetadata(data)


class DiscoveryCache:
    """Fetches ``{issuer}/.well-known/openid-configuration`` and caches it for ``ttl`` seconds.

    Thread-safe. When a refresh after expiry fails, the previously validated
    metadata keeps being served (and the failure is logged); the very first
    fetch failing raises :class:`DiscoveryError`.
    """

    def __init__(
        self,
        issuer: str,
        *,
        http: requests.Session,
        ttl: float = 3600.0,
        timeout: float = 5.0,
        allow_insecure_http: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        self._http = http
        self._ttl = ttl
        self._timeout = timeout
        self._insecure = allow_insecure_http
        self._clock = clock
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._fetched_at = 0.0

    def get(self, *, force: bool = False) -> ProviderMetadata:
        """Return cached metadata, fetching it when absent, expired or ``force``.

        :raises DiscoveryError: fetch or validation failed and nothing is cached.
        """
        with self._lock:
            now = self._clock()
            fresh = self._metadata is not None and now - self._fetched_at < self._ttl
            if fresh and not force and self._metadata is not None:
                return self._metadata
            try:
                self._metadata = self._fetch()
                self._fetched_at = now
            except DiscoveryError:
                if self._metadata is None:
                    raise
                log.warning("provider metadata refresh failed; serving cached copy", exc_info=True)
            return self._metadata

    def _fetch(self) -> ProviderMetadata:
        try:
            resp = fetch_json(self._http, "GET", self.url, timeout=self._timeout,
                              headers={"Accept": "application/json"})
        except HTTPFailure as exc:
            raise DiscoveryError(f"cannot fetch provider metadata: {exc}") from exc
        return validate_metadata(resp.data, issuer=self.issuer, allow_insecure_http=self._insecure)
