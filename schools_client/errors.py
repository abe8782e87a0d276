"""Exception hierarchy of :mod:`schools_client`.

Every exception raised on purpose by this library derives from
:class:`SchoolsClientError`, so a web layer can catch that one class and turn
it into a friendly error page instead of an HTTP 500.
"""

from __future__ import annotations

__all__ = [
    "AuthorizationResponseError",
    "ConfigurationError",
    "DiscoveryError",
    "JWKSError",
    "SchoolsClientError",
    "TokenEndpointError",
    "TokenVerificationError",
    "UserinfoError",
]


class SchoolsClientError(Exception):
    """Root of all errors raised by :mod:`schools_client`."""


class ConfigurationError(SchoolsClientError, ValueError):
    """The client settings are invalid (raised when they are constructed)."""


class DiscoveryError(SchoolsClientError):
    """Provider metadata could not be fetched or failed validation.

    Raised for network errors, non-200 answers, non-JSON bodies and, per
    OpenID Connect Discovery 1.0 §4.3, an ``issuer`` value that differs from
    the configured issuer.
    """


class JWKSError(DiscoveryError):
    """The provider's JWK Set (``jwks_uri``) could not be fetched or parsed."""


class TokenVerificationError(SchoolsClientError):
    """A JWT (ID token, logout token or security event token) was rejected.

    :ivar reason: machine-readable reason, one of ``malformed``,
        ``bad_signature``, ``alg_not_allowed``, ``unknown_kid``,
        ``unsupported_header``, ``typ_mismatch``, ``iss_mismatch``,
        ``aud_mismatch``, ``azp_mismatch``, ``expired``, ``iat_future``,
        ``iat_too_old``, ``not_yet_valid``, ``nonce_mismatch``, ``nonce_present``,
        ``at_hash_mismatch``, ``auth_time_too_old``, ``missing_claim``,
        ``invalid_claim``, ``bad_events``, ``replayed_jti``, ``sub_mismatch``.
    :ivar claim: name of the offending claim, when there is one.
    """

    def __init__(self, reason: str, detail: str = "", *, claim: str | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.claim = claim
        super().__init__(f"{reason}: {detail}" if detail else reason)


class AuthorizationResponseError(SchoolsClientError):
    """The authorization response (the redirect back to ``redirect_uri``) is unusable.

    Either the IdP answered with an OAuth 2.0 error (RFC 6749 §4.1.2.1, e.g.
    ``login_required`` or ``access_denied``), or the ``state`` did not match
    (RFC 6749 §10.12), or the ``iss`` parameter was missing or wrong
    (RFC 9207 §2.4).

    :ivar error: the OAuth error code, or ``state_mismatch``, ``iss_mismatch``,
        ``iss_missing``, ``login_expired``, ``invalid_response``.
    :ivar description: human readable text (``error_description`` when the IdP gave one).
    """

    def __init__(self, error: str, description: str = "") -> None:
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}" if description else error)


class TokenEndpointError(SchoolsClientError):
    """The token endpoint refused the request or answered with garbage (RFC 6749 §5.2).

    :ivar error: OAuth error code (``invalid_grant``, ...) or ``server_error``,
        ``invalid_response``, ``network_error``.
    :ivar status: HTTP status code, when a response was received.
    """

    def __init__(self, error: str, description: str = "", status: int | None = None) -> None:
        self.error = error
        self.description = description
        self.status = status
        super().__init__(f"{error}: {description}" if description else error)


class UserinfoError(SchoolsClientError):
    """The UserInfo endpoint failed, or its ``sub`` differs from the ID token's
    (OpenID Connect Core 1.0 §5.3.2).

    :ivar reason: ``sub_mismatch``, ``invalid_response``, ``http_error`` or ``network_error``.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
