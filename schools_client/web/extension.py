"""Flask extension: server-side sessions, cookie handling and helpers."""

from __future__ import annotations

import copy
import dataclasses
import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from flask import Flask, Response, current_app, g, request

from ..client import OIDCClient
from ..config import ClientSettings, origin_of
from ..errors import SchoolsClientError
from ..models import _PROTOCOL_CLAIMS, LoginResult
from ..sessions import STALE, SessionRecord, SessionStore, _check_profile_args
from .helpers import PREFIX, safe_local_path, settings_from_config

__all__ = ["ProfileUpdateHook", "SchoolsOIDC", "SchoolsOIDCHooks", "get_extension"]

log = logging.getLogger(__name__)

#: ``on_profile_update(sub, claims, status, version)``; see :class:`SchoolsOIDCHooks`.
ProfileUpdateHook = Callable[[str, dict[str, Any], str, int], None]
H = TypeVar("H", bound=ProfileUpdateHook)

@dataclass
class SchoolsOIDCHooks:
    """Optional callbacks an application can plug in.

    :ivar ui_locales: returns the ``ui_locales`` value for the IdP (e.g. ``"et en"``).
    :ivar on_login: called with the verified result and the new session's data
        dict (which it may extend) before the session is stored.
    :ivar on_logout: called with the session being ended by the user.
    :ivar on_profile_update: called as ``(sub, claims, status, version)`` when
        the IdP pushes a profile version newer than the last applied one for
        ``sub`` (``POST /oidc/events``), before it is recorded and applied to
        the sessions. ``claims`` are the pushed profile claims (same names as
        at login), ``status`` is ``"active"`` or ``"disabled"``. If it raises,
        nothing is recorded and the IdP is answered 503, so it retries later.
    """

    ui_locales: Callable[[], str | None] | None = None
    on_login: Callable[[LoginResult, dict[str, Any]], None] | None = None
    on_logout: Callable[[SessionRecord], None] | None = None
    on_profile_update: ProfileUpdateHook | None = None


def get_extension() -> SchoolsOIDC:
    """The :class:`SchoolsOIDC` of the current app (``RuntimeError`` if not set up)."""
    ext: SchoolsOIDC | None = current_app.extensions.get("schools_oidc")
    if ext is None:
        raise RuntimeError("SchoolsOIDC is not initialised for this app")
    return ext


class SchoolsOIDC:
    """OpenID Connect login for a school's Flask app, with server-side sessions.

    :param app: the Flask app (or call :meth:`init_app` later; one app per instance).
    :param store: a :class:`~schools_client.sessions.SessionStore`.
    :param hooks: optional :class:`SchoolsOIDCHooks`.
    :param on_profile_update: shortcut for ``hooks.on_profile_update`` (see also
        the :meth:`profile_updated` decorator).
    :param settings: explicit settings instead of ``SCHOOLS_OIDC_*`` config keys.
    :param http: ``requests.Session`` for calls to the IdP.
    :param clock: current time in seconds (tests).
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        store: SessionStore,
        hooks: SchoolsOIDCHooks | None = None,
        on_profile_update: ProfileUpdateHook | None = None,
        settings: ClientSettings | None = None,
        http: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.hooks = dataclasses.replace(hooks) if hooks is not None else SchoolsOIDCHooks()
        if on_profile_update is not None:
            if self.hooks.on_profile_update is not None:
                raise ValueError("give on_profile_update either directly or in hooks, not both")
            self.hooks.on_profile_update = on_profile_update
        self._settings = settings
        self._http = http
        self.clock = clock
        self.client: OIDCClient
        self.url_prefix = "/oidc"
        self.cookie_name = "schools_oidc_session"
        self.cookie_secure = True
        self.session_lifetime = 8 * 3600.0
        self.default_target = "/"
        self.event_max_age = 600
        self._refresh_lock = threading.Lock()
        self._profile_lock = threading.Lock()
        if app is not None:
            self.init_app(app)

    @property
    def settings(self) -> ClientSettings:
        return self.client.settings

    def init_app(self, app: Flask) -> None:
        """Read ``SCHOOLS_OIDC_*`` config, register the ``/oidc`` blueprint and request hooks.

        Extra keys: ``SCHOOLS_OIDC_COOKIE_NAME`` (give every app on one host its
        own!), ``SCHOOLS_OIDC_COOKIE_SECURE`` (default: true for https),
        ``SCHOOLS_OIDC_SESSION_LIFETIME`` (seconds, default 8 h),
        ``SCHOOLS_OIDC_URLPREFIX`` (default ``/oidc``),
        ``SCHOOLS_OIDC_DEFAULT_TARGET`` (where to land after login, ``/``),
        ``SCHOOLS_OIDC_EVENT_MAX_AGE`` (oldest accepted ``iat`` of a pushed
        security event token, seconds, default 600).

        :raises ConfigurationError: on invalid settings.
        """
        from .views import make_blueprint

        cfg = app.config
        self.url_prefix = str(cfg.get(PREFIX + "URLPREFIX", "/oidc")).rstrip("/")
        settings = self._settings or settings_from_config(cfg, self.url_prefix)
        self.client = OIDCClient(settings, self._http, self.clock)
        self.cookie_name = str(cfg.get(PREFIX + "COOKIE_NAME", "schools_oidc_session"))
        secure_default = urlsplit(settings.redirect_uri).scheme == "https"
        self.cookie_secure = bool(cfg.get(PREFIX + "COOKIE_SECURE", secure_default))
        self.session_lifetime = float(cfg.get(PREFIX + "SESSION_LIFETIME", 8 * 3600))
        self.default_target = safe_local_path(cfg.get(PREFIX + "DEFAULT_TARGET", "/")) or "/"
        self.event_max_age = int(cfg.get(PREFIX + "EVENT_MAX_AGE", 600))
        app.extensions["schools_oidc"] = self
        blueprint = make_blueprint()
        app.register_blueprint(blueprint, url_prefix=self.url_prefix)
        app.before_request(self._load_session)
        app.after_request(self._write_cookie)
        app.jinja_env.globals.update(
            schools_oidc_csrf_token=self.csrf_token, schools_oidc_current_user=self.current_user
        )
        csrf = app.extensions.get("csrf")  # Flask-WTF's CSRFProtect, if the app uses it
        if csrf is not None and hasattr(csrf, "exempt"):
            csrf.exempt(blueprint)

    # --- sessions ------------------------------------------------------------

    def _load_session(self) -> None:
        g.schools_oidc_record = None
        g.schools_oidc_cookie = None
        session_id = request.cookies.get(self.cookie_name)
        if session_id:
            try:
                g.schools_oidc_record = self.store.get(session_id)
            except Exception:  # a broken store must not turn every page into a 500
                log.exception("session store lookup failed")
            if g.schools_oidc_record is None:
                g.schools_oidc_cookie = ""  # stale cookie: clear it

    def _write_cookie(self, response: Response) -> Response:
        value = g.get("schools_oidc_cookie")
        if value:
            response.set_cookie(self.cookie_name, value, max_age=int(self.session_lifetime), path="/",
                                secure=self.cookie_secure, httponly=True, samesite="Lax")
        elif value == "":
            response.delete_cookie(self.cookie_name, path="/", secure=self.cookie_secure, httponly=True,
                                   samesite="Lax")
        if value is not None:
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Cookie")
        return response

    def session(self) -> SessionRecord | None:
        """The current request's server-side session, if any."""
        record: SessionRecord | None = g.get("schools_oidc_record")
        return record

    def start_session(self, data: Mapping[str, Any], *, ttl: float, sub: str | None = None,
                      sid: str | None = None) -> SessionRecord:
        """Create a session with a *new* id and send its cookie (the old one is not reused)."""
        record = self.store.create(data, ttl=ttl, sub=sub, sid=sid)
        g.schools_oidc_record = record
        g.schools_oidc_cookie = record.session_id
        return record

    def end_session(self) -> SessionRecord | None:
        """Delete the current session and clear the cookie; return what was ended."""
        record = self.session()
        if record is not None:
            self.store.delete(record.session_id)
        g.schools_oidc_record = None
        g.schools_oidc_cookie = ""
        return record

    def ensure_session(self) -> SessionRecord:
        """Return the current session, creating an anonymous one if there is none."""
        return self.session() or self.start_session({}, ttl=self.settings.login_state_ttl * 2)

    # --- profile sync (security events) --------------------------------------

    def profile_updated(self, hook: H) -> H:
        """Decorator registering the ``on_profile_update`` hook (see :class:`SchoolsOIDCHooks`)::

            @oidc.profile_updated
            def sync(sub: str, claims: dict, status: str, version: int) -> None: ...
        """
        self.hooks.on_profile_update = hook
        return hook

    def apply_profile_update(self, sub: str, version: int, claims: Mapping[str, Any], status: str) -> str:
        """Apply a verified profile update pushed by the IdP; return ``"applied"`` or ``"stale"``.

        A ``version`` not newer than the last applied one for ``sub`` is
        ``"stale"`` and changes nothing. Otherwise the ``on_profile_update``
        hook runs first (an exception propagates and nothing is recorded),
        then :meth:`SessionStore.apply_profile` records the version and
        updates (``"active"``) or ends (``"disabled"``) the sessions of ``sub``.
        Protocol claims (``sub``, ``sid``, ``iss``...) in ``claims`` are ignored.

        Serialised within this process; across processes the store decides,
        so in a rare race the hook may see the same version twice (make it
        idempotent, e.g. by storing ``version``).

        :raises ValueError: for a ``version`` < 1 or an unknown ``status``.
        """
        _check_profile_args(version, status)
        profile = {k: v for k, v in claims.items() if k not in _PROTOCOL_CLAIMS}
        with self._profile_lock:
            last = self.store.profile_version(sub)
            if last is not None and version <= last:
                return STALE
            hook = self.hooks.on_profile_update
            if hook is not None:
                hook(sub, copy.deepcopy(profile), status, version)
            return self.store.apply_profile(sub, version, profile, status)

    # --- helpers -------------------------------------------------------------

    def current_user(self) -> dict[str, Any] | None:
        """Claims of the logged-in person (ID token + UserInfo), or ``None``."""
        record = self.session()
        if record is None or not record.authenticated:
            return None
        claims = record.data.get("claims")
        return dict(claims) if isinstance(claims, dict) else None

    def csrf_token(self) -> str:
        """The per-session CSRF token for the logout form (empty when logged out)."""
        record = self.session()
        return str(record.data.get("csrf", "")) if record is not None and record.authenticated else ""

    def ui_locales(self) -> str | None:
        """``ui_locales`` for the IdP: from the hook, else from ``Accept-Language``."""
        if self.hooks.ui_locales is not None:
            return self.hooks.ui_locales()
        best = request.accept_languages.best_match(["et", "en"])
        return "en et" if best == "en" else "et en"

    def just_logged_out(self) -> bool:
        """True once for the request that returns from the IdP's logout with our ``state``
        (RP-Initiated Logout 1.0 §3); the state is consumed."""
        if "schools_oidc_logged_out" in g:
            return bool(g.schools_oidc_logged_out)
        record, state = self.session(), request.args.get("state", "")
        expected = str(record.data.get("logout_state", "")) if record is not None else ""
        ok = bool(state and expected and hmac.compare_digest(state.encode(), expected.encode()))
        if ok and record is not None:
            record.data.pop("logout_state", None)
            self.store.update(record)
        g.schools_oidc_logged_out = ok
        return ok

    def local_target(self, url: str | None) -> str | None:
        """Path of ``url`` if it is on this app's own origin (that of ``redirect_uri``), else ``None``."""
        if not url:
            return None
        if url.startswith("/"):
            return safe_local_path(url)
        if origin_of(url) != origin_of(self.settings.redirect_uri):
            return None
        parts = urlsplit(url)
        return safe_local_path((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))

    def access_token(self, *, min_validity: float = 30.0) -> str | None:
        """A valid access token of the current session, refreshing it (with rotation) if needed.

        Returns ``None`` when logged out or when the refresh fails.
        """
        record = self.session()
        if record is None or not record.authenticated:
            return None
        data = record.data
        expires_at = data.get("expires_at")
        if expires_at is None or float(expires_at) - self.clock() > min_validity:
            return str(data["access_token"])
        if not data.get("refresh_token"):
            return None
        with self._refresh_lock:  # rotation: never spend one refresh token twice from this process
            latest = self.store.get(record.session_id)
            if latest is None:
                return None
            data = record.data = latest.data
            expires_at = data.get("expires_at")
            if expires_at is not None and float(expires_at) - self.clock() > min_validity:
                return str(data["access_token"])  # another request refreshed meanwhile
            try:
                tokens = self.client.refresh(str(data["refresh_token"]),
                                             previous_claims=data.get("id_token_claims"))
            except SchoolsClientError:
                log.info("refresh failed", exc_info=True)
                return None
            data.update(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                        expires_at=tokens.expires_at)
            if tokens.id_token is not None:
                data["id_token"] = tokens.id_token
            self.store.update(record)
        return tokens.access_token
