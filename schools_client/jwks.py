"""JWK Set fetching and caching with a rate-limited refetch on unknown ``kid``.

Compared with Authlib's relying party (which refetches the JWK Set on every
unknown ``kid`` without limit and keeps no TTL), :class:`JWKSCache` honours the
response's ``Cache-Control: max-age`` (RFC 9111 §5.2.2.1), falls back to a
configured TTL, and never contacts ``jwks_uri`` more often than once per
``min_refetch_interval`` seconds because of unknown key ids, so forged tokens
with random ``kid`` values cannot make us hammer the IdP.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import requests
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, Key, KeySet, RSAKey

from ._http import HTTPFailure, fetch_json
from .errors import JWKSError, TokenVerificationError

__all__ = ["JWKSCache", "KeyProvider", "StaticKeys", "load_key_set", "parse_max_age", "select_key"]

log = logging.getLogger(__name__)

_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


class KeyProvider(Protocol):
    """Anything that can find the verification key for a JWS header."""

    def get_key(self, kid: str | None, alg: str) -> Key:
        """Return the key for ``kid`` usable with ``alg``.

        :raises TokenVerificationError: reason ``unknown_kid`` when there is none.
        """
        ...


def _key_fits(key: Key, alg: str) -> bool:
    """RFC 7517 §4.2-4.4: ``use``/``key_ops``/``alg`` must allow verifying with ``alg``."""
    use = key.get("use")
    if use is not None and use != "sig":
        return False
    ops = key.get("key_ops")
    if ops is not None and "verify" not in ops:
        return False
    key_alg = key.get("alg")
    if key_alg is not None and key_alg != alg:
        return False
    if alg[:2] in ("RS", "PS"):
        return isinstance(key, RSAKey)
    if alg in _EC_CURVES:
        return isinstance(key, ECKey) and key.curve_name == _EC_CURVES[alg]
    return False


def select_key(keys: Iterable[Key], kid: str | None, alg: str) -> Key | None:
    """Pick the key for a JWS header (OIDC Core 1.0 §10.1.1).

    With a ``kid``, the key with that ``kid`` that fits ``alg``. Without a
    ``kid``, only when exactly one key fits ``alg`` (otherwise ``None``).
    """
    fitting = [k for k in keys if _key_fits(k, alg)]
    if kid is None:
        return fitting[0] if len(fitting) == 1 else None
    for key in fitting:
        if key.kid == kid:
            return key
    return None


def load_key_set(data: Mapping[str, Any]) -> list[Key]:
    """Import the public keys of a JWK Set document, skipping keys that cannot be imported.

    :raises JWKSError: when ``keys`` is not a list.
    """
    raw = data.get("keys")
    if not isinstance(raw, list):
        raise JWKSError("JWK Set has no 'keys' list")
    keys: list[Key] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        try:
            keys.append(JWKRegistry.import_key(item))
        except (JoseError, ValueError, TypeError):
            log.warning("ignoring a JWK that cannot be imported (kid=%r)", item.get("kid"))
    return keys


class StaticKeys:
    """A fixed key set as a :class:`KeyProvider` (tests, pinned keys)."""

    def __init__(self, keys: KeySet | Iterable[Key]) -> None:
        self._keys = list(keys.keys if isinstance(keys, KeySet) else keys)
        self._selected: dict[tuple[str | None, str], Key] = {}

    def get_key(self, kid: str | None, alg: str) -> Key:
        key = self._selected.get((kid, alg))
        if key is None:
            key = select_key(self._keys, kid, alg)
            if key is None:
                raise TokenVerificationError("unknown_kid", f"no key for kid {kid!r} and alg {alg}")
            self._selected[(kid, alg)] = key
        return key


def parse_max_age(cache_control: str | None) -> float | None:
    """Return the freshness lifetime from a ``Cache-Control`` header.

    ``no-store``/``no-cache`` give ``0``; ``max-age=N`` gives ``N``; anything
    else (or a malformed value) gives ``None``, meaning "use the fallback".
    """
    if not cache_control:
        return None
    max_age: float | None = None
    for directive in cache_control.lower().split(","):
        name, _, value = directive.strip().partition("=")
        if name in ("no-store", "no-cache"):
            return 0.0
        if name == "max-age":
            try:
                max_age = max(0.0, float(int(value.strip().strip('"'))))
            except ValueError:
                return None
    return max_age


class JWKSCache:
    """Thread-safe cache of the IdP's JWK Set; a :class:`KeyProvider`.

    :param jwks_uri: the URL, or a callable returning it (e.g. from discovery).
    :param http: ``requests.Session`` used for fetching.
    :param min_refetch_interval: minimum seconds between two fetches triggered
        by an unknown ``kid`` or by expiry.
    :param fallback_ttl: lifetime when the response has no usable ``max-age``.
    :param max_ttl: upper bound for ``max-age``.
    :param clock: returns the current time in seconds (injectable for tests).
    """

    def __init__(
        self,
        jwks_uri: str | Callable[[], str],
        *,
        http: requests.Session,
        min_refetch_interval: float = 60.0,
        fallback_ttl: float = 300.0,
        max_ttl: float = 86400.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._uri = jwks_uri
        self._http = http
        self.min_refetch_interval = min_refetch_interval
        self.fallback_ttl = fallback_ttl
        self.max_ttl = max_ttl
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[Key] | None = None
        #: keys already chosen for a (kid, alg) from the current ``_keys``; emptied on refresh
        self._selected: dict[tuple[str | None, str], Key] = {}
        self._expires_at = 0.0
        self._last_fetch = float("-inf")
        #: number of HTTP fetches done so far (for monitoring and tests)
        self.fetch_count = 0

    def get_key(self, kid: str | None, alg: str) -> Key:
        """Return the key for ``kid``/``alg``, refetching when stale or unknown.

        The JWK Set is fetched when none is cached, when the cached one expired
        (but at most once per ``min_refetch_interval``), and once more when
        ``kid`` is unknown and the last fetch is at least
        ``min_refetch_interval`` old. If a refresh fails while keys are cached,
        the cached keys keep being used (the failure is logged).

        :raises TokenVerificationError: ``unknown_kid`` if no key matches.
        :raises JWKSError: no JWK Set is cached and it could not be fetched.
        """
        with self._lock:
            now = self._clock()
            fetched = False
            if self._keys is None:
                self._refresh(now)
                fetched = True
            elif now >= self._expires_at and now - self._last_fetch >= self.min_refetch_interval:
                fetched = self._try_refresh(now)
            key = self._selected.get((kid, alg))
            if key is None:
                key = select_key(self._keys or [], kid, alg)
            if key is None and not fetched and now - self._last_fetch >= self.min_refetch_interval:
                self._try_refresh(now)
                key = select_key(self._keys or [], kid, alg)
            if key is None:
                raise TokenVerificationError("unknown_kid", f"no key for kid {kid!r} and alg {alg}")
            self._selected[(kid, alg)] = key
            return key

    def keys(self) -> list[Key]:
        """Return the currently cached keys (fetching them if none are cached)."""
        with self._lock:
            if self._keys is None:
                self._refresh(self._clock())
            return list(self._keys or [])

    def _try_refresh(self, now: float) -> bool:
        """Refresh, but keep serving the cached keys if that fails (logged)."""
        try:
            self._refresh(now)
        except JWKSError:
            log.warning("JWK Set refresh failed; keeping the cached keys", exc_info=True)
            return False
        return True

    def _refresh(self, now: float) -> None:
        uri = self._uri() if callable(self._uri) else self._uri
        self._last_fetch = now
        self.fetch_count += 1
        try:
            resp = fetch_json(self._http, "GET", uri, timeout=self._timeout,
                              headers={"Accept": "application/jwk-set+json, application/json"})
        except HTTPFailure as exc:
            raise JWKSError(f"cannot fetch JWK Set: {exc}") from exc
        keys = load_key_set(resp.data)
        ttl = parse_max_age(resp.headers.get("Cache-Control"))
        if ttl is None:
            ttl = self.fallback_ttl
        self._keys = keys
        self._selected = {}
        self._expires_at = now + min(ttl, self.max_ttl)
