"""A small demo Stuudium (school information system) using :mod:`schools_client.web`.

``create_demo_app(settings)`` keys: ``slug``, ``name``, ``issuer``,
``client_id``, ``client_secret`` (required); ``port`` (5001), ``base_url``
(``http://localhost:<port>``), ``color`` (``#rrggbb``), ``kind`` (``music``,
``gymnasium``, ``kindergarten``, ``school``; guessed from the name),
``session_db`` (SQLite file; default in-memory), ``cookie_name``,
``allow_insecure_http`` (default: true when issuer and base URL are
``http://localhost``), optional ``http`` (``requests.Session``) and ``clock``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, redirect, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from ..client import add_query
from ..config import is_loopback_host, origin_of
from ..sessions import MemorySessionStore, SessionStore, SQLiteSessionStore
from ..web import SchoolsOIDC, SchoolsOIDCHooks
from .i18n import LANGUAGES, TEXTS, role_labels
from .logo import default_color, guess_kind, logo_svg, text_color

__all__ = ["create_demo_app"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _web_url(value: Any, insecure: bool) -> str | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme == "https" or (parts.scheme == "http" and insecure and is_loopback_host(parts.hostname)):
        return value if parts.hostname else None
    return None


def create_demo_app(settings: Mapping[str, Any]) -> Flask:
    """Create the demo school's Flask app (see the module docstring for ``settings``).

    :raises ValueError: for a bad slug or colour; ``ConfigurationError`` for bad OIDC settings.
    """
    slug, name = str(settings["slug"]), str(settings["name"])
    if not _SLUG.match(slug):
        raise ValueError("slug must be lower-case letters, digits and dashes")
    port = int(settings.get("port", 5001))
    base_url = str(settings.get("base_url") or f"http://localhost:{port}").rstrip("/")
    issuer = str(settings["issuer"])
    kind = str(settings.get("kind") or guess_kind(name, slug))
    color = str(settings.get("color") or default_color(kind, slug))
    if not _COLOR.match(color):
        raise ValueError("color must look like #1d4e89")
    insecure = bool(settings.get("allow_insecure_http", all(
        urlsplit(u).scheme == "http" and is_loopback_host(urlsplit(u).hostname) for u in (issuer, base_url))))
    cookie_name = str(settings.get("cookie_name") or f"stuudium_{slug.replace('-', '_')}_session")
    lang_cookie = cookie_name.replace("_session", "") + "_lang"

    app = Flask(__name__, static_url_path="/assets")
    app.config.update(
        SCHOOLS_OIDC_ISSUER=issuer, SCHOOLS_OIDC_CLIENT_ID=str(settings["client_id"]),
        SCHOOLS_OIDC_CLIENT_SECRET=str(settings["client_secret"]),
        SCHOOLS_OIDC_REDIRECT_URI=f"{base_url}/oidc/callback",
        SCHOOLS_OIDC_POST_LOGOUT_REDIRECT_URI=f"{base_url}/",
        SCHOOLS_OIDC_ALLOW_INSECURE_HTTP=insecure, SCHOOLS_OIDC_COOKIE_NAME=cookie_name,
        DEMO_SLUG=slug, DEMO_NAME=name, DEMO_COLOR=color, DEMO_KIND=kind, DEMO_BASE_URL=base_url,
    )
    session_db = settings.get("session_db")
    store: SessionStore = SQLiteSessionStore(str(session_db)) if session_db else MemorySessionStore()

    def language() -> str:
        chosen = request.cookies.get(lang_cookie)
        if chosen in LANGUAGES:
            return str(chosen)
        return request.accept_languages.best_match(LANGUAGES, default="et") or "et"

    oidc = SchoolsOIDC(app, store=store, http=settings.get("http"), clock=settings.get("clock", time.time),
                       hooks=SchoolsOIDCHooks(ui_locales=lambda: "en et" if language() == "en" else "et en"))

    def schools_nav(user: Mapping[str, Any]) -> list[dict[str, Any]]:
        items = []
        for entry in user.get("schools") or []:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            current = entry.get("client_id") == oidc.settings.client_id
            login_uri = _web_url(entry.get("initiate_login_uri"), insecure)
            if current:
                href = "/"
            elif login_uri:
                href = add_query(login_uri, {"iss": issuer, "target_link_uri": origin_of(login_uri) + "/"})
            else:
                continue
            items.append({"name": entry["name"], "href": href, "current": current,
                          "logo": _web_url(entry.get("logo") or entry.get("logo_uri"), insecure)})
        return items

    @app.get("/")
    def index() -> str:
        lang = language()
        user = oidc.current_user()
        nav = schools_nav(user) if user else []
        display = ""
        if user:
            display = str(user.get("name") or " ".join(
                str(user[k]) for k in ("given_name", "family_name") if user.get(k)) or user["sub"])
        request.environ["demo.img_origins"] = sorted({origin_of(i["logo"]) for i in nav if i["logo"]})
        return render_template(
            "index.html", lang=lang, t=TEXTS[lang], user=user, display_name=display,
            roles=role_labels(user.get("roles"), lang) if user else [], schools=nav,
            logged_out=oidc.just_logged_out(), profile_url=issuer.rstrip("/") + "/account",
            csrf_token=oidc.csrf_token(), school_name=name, slug=slug,
        )

    @app.get("/lang/<code>")
    def set_language(code: str) -> BaseResponse:
        resp = redirect("/", 303)
        if code in LANGUAGES:
            resp.set_cookie(lang_cookie, code, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=oidc.cookie_secure)
        return resp

    def svg() -> Response:
        resp = Response(logo_svg(name, kind, color), mimetype="image/svg+xml")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        resp.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return resp

    app.add_url_rule("/static/logo.svg", "logo", svg)
    app.add_url_rule(f"/static/logo-{slug}.svg", "logo_slug", svg)

    @app.get("/theme.css")
    def theme() -> Response:
        css = f":root{{--brand:{color};--brand-text:{text_color(color)}}}\n"
        resp = Response(css, mimetype="text/css")
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok\n", mimetype="text/plain")

    @app.after_request
    def security_headers(resp: Response) -> Response:
        if "Content-Security-Policy" not in resp.headers:
            img = " ".join(["'self'", *request.environ.get("demo.img_origins", [])])
            resp.headers["Content-Security-Policy"] = (
                f"default-src 'none'; style-src 'self'; img-src {img}; form-action 'self' {origin_of(issuer)}; "
                "frame-ancestors 'none'; base-uri 'none'"
            )
            resp.headers["X-Frame-Options"] = "DENY"
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        return resp

    return app
