"""ID-card login through Web eID: challenge nonces and authentication token validation.

Flow (web-eid-system-architecture-doc): the page GETs a challenge (``issue_challenge``), calls
``webeid.authenticate(nonce)`` in the browser (the Web eID extension and app ask for PIN1) and
POSTs the token; the server takes the nonce (``take_challenge``, single use) and calls
``validate_auth_token``.
"""

from .errors import WebEidError
from .nonce import InMemoryNonceStore, NonceStore, issue_challenge, take_challenge
from .validator import DEFAULT_DISALLOWED_POLICIES, validate_auth_token

__all__ = ["DEFAULT_DISALLOWED_POLICIES", "InMemoryNonceStore", "NonceStore", "WebEidError",
           "issue_challenge", "take_challenge", "validate_auth_token"]
