"""OpenID Connect relying-party library for the Stuudium of Estonian schools.

Independent of the IdP package. Main entry points:

* :class:`schools_client.config.ClientSettings` - validated settings
* :class:`schools_client.client.OIDCClient` - code flow + PKCE, refresh, logout
* :func:`schools_client.tokens.verify_id_token`, :func:`~schools_client.tokens.verify_logout_token`,
  :func:`~schools_client.tokens.verify_security_event`
* :class:`schools_client.web.SchoolsOIDC` - Flask integration (``/oidc`` blueprint)
* :mod:`schools_client.testing` - a fake IdP for tests of school apps
"""

from __future__ import annotations

from .client import OIDCClient
from .config import ClientSettings
from .discovery import DiscoveryCache, ProviderMetadata
from .errors import (
    AuthorizationResponseError,
    ConfigurationError,
    DiscoveryError,
    JWKSError,
    SchoolsClientError,
    TokenEndpointError,
    TokenVerificationError,
    UserinfoError,
)
from .jwks import JWKSCache, StaticKeys
from .models import LoginResult, LoginState, TokenSet
from .tokens import (
    ACCOUNT_UPDATED_EVENT,
    verify_id_token,
    verify_logout_token,
    verify_security_event,
)

__all__ = [
    "ACCOUNT_UPDATED_EVENT",
    "AuthorizationResponseError",
    "ClientSettings",
    "ConfigurationError",
    "DiscoveryCache",
    "DiscoveryError",
    "JWKSCache",
    "JWKSError",
    "LoginResult",
    "LoginState",
    "OIDCClient",
    "ProviderMetadata",
    "SchoolsClientError",
    "StaticKeys",
    "TokenEndpointError",
    "TokenSet",
    "TokenVerificationError",
    "UserinfoError",
    "verify_id_token",
    "verify_logout_token",
    "verify_security_event",
]
