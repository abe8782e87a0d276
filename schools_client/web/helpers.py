"""Configuration and URL helpers of the Flask integration."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..config import ClientSettings, origin_of
from ..errors import ConfigurationError

__all__ = ["PREFIX", "safe_local_path", "settings_from_config"]

#: Prefix of every Flask config key read by :class:`~schools_client.web.SchoolsOIDC`.
PREFIX = "SCHOOLS_OIDC_"


def settings_from_config(config: Mapping[str, Any], url_prefix: str = "/oidc") -> ClientSettings:
    """Build :class:`ClientSettings` from ``SCHOOLS_OIDC_<FIELD>`` keys.

    Every field of :class:`ClientSettings` may be given (``SCHOOLS_OIDC_ISSUER``,
    ``SCHOOLS_OIDC_CLIENT_ID``, ``SCHOOLS_OIDC_CLIENT_SECRET``, ...).
    ``SCHOOLS_OIDC_BASE_URL`` (e.g. ``http://localhost:5001``) provides the
    defaults ``redirect_uri = BASE/oidc/callback`` and
    ``post_logout_redirect_uri = BASE/oidc/logged-out``.

    :raises ConfigurationError: on missing or invalid values.
    """
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(ClientSettings):
        key = PREFIX + f.name.upper()
        if key in config and config[key] is not None:
            kwargs[f.name] = config[key]
    for name in ("scopes", "algorithms"):
        if isinstance(kwargs.get(name), str):
            kwargs[name] = tuple(kwargs[name].replace(",", " ").split())
    base = str(config.get(PREFIX + "BASE_URL") or "").rstrip("/")
    if base:
        kwargs.setdefault("redirect_uri", f"{base}{url_prefix}/callback")
    if "redirect_uri" in kwargs and not kwargs.get("post_logout_redirect_uri"):
        kwargs["post_logout_redirect_uri"] = f"{origin_of(kwargs['redirect_uri'])}{url_prefix}/logged-out"
    for required in ("issuer", "client_id", "client_secret", "redirect_uri"):
        if not kwargs.get(required):
            hint = " (or SCHOOLS_OIDC_BASE_URL)" if required == "redirect_uri" else ""
            raise ConfigurationError(f"{PREFIX}{required.upper()}{hint} is required")
    return ClientSettings(**kwargs)


def safe_local_path(value: str | None) -> str | None:
    """Return ``value`` if it is a same-origin absolute path (``/x?y``), else ``None``.

    Refuses scheme-relative ``//host``, backslashes and control characters, so
    the result can be used in ``Location`` without creating an open redirect.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
