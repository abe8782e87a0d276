"""Flask integration: ``SchoolsOIDC`` extension, ``/oidc`` blueprint and helpers.

Usage::

    from schools_client.web import SchoolsOIDC, current_user, login_required
    from schools_client.sessions import SQLiteSessionStore

    app.config.update(SCHOOLS_OIDC_ISSUER=..., SCHOOLS_OIDC_CLIENT_ID=...,
                      SCHOOLS_OIDC_CLIENT_SECRET=..., SCHOOLS_OIDC_BASE_URL="https://kool.ee",
                      SCHOOLS_OIDC_COOKIE_NAME="kool_session")
    SchoolsOIDC(app, store=SQLiteSessionStore("/var/lib/kool/sessions.db"))
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import redirect, request, url_for

from .extension import SchoolsOIDC, SchoolsOIDCHooks, get_extension
from .helpers import safe_local_path, settings_from_config

__all__ = [
    "SchoolsOIDC",
    "SchoolsOIDCHooks",
    "access_token",
    "csrf_token",
    "current_user",
    "just_logged_out",
    "login_required",
    "safe_local_path",
    "settings_from_config",
]

P = ParamSpec("P")
R = TypeVar("R")


def current_user() -> dict[str, Any] | None:
    """Claims of the logged-in person in this request, or ``None``."""
    return get_extension().current_user()


def access_token(min_validity: float = 30.0) -> str | None:
    """The session's access token, refreshed (refresh tokens rotate) when it expires
    within ``min_validity`` seconds; ``None`` if logged out or the refresh failed."""
    return get_extension().access_token(min_validity=min_validity)


def csrf_token() -> str:
    """CSRF token to put in the logout form's ``csrf_token`` field."""
    return get_extension().csrf_token()


def just_logged_out() -> bool:
    """True on the post-logout page when the IdP returned our logout ``state``."""
    return get_extension().just_logged_out()


def login_required(view: Callable[P, R]) -> Callable[P, R | Any]:
    """Decorator: redirect anonymous visitors to ``/oidc/login?next=<this page>``."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Any:
        if get_extension().current_user() is None:
            target = request.full_path if request.query_string else request.path
            return redirect(url_for("schools_oidc.login", next=target))
        return view(*args, **kwargs)

    return wrapper
