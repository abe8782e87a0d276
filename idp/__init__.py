"""The identity provider for Estonian schools: one OpenID Connect provider for every Stuudium."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, g

from .config import ConfigError, DefaultConfig, validate_config
from .replay import ReplayingFlask

__all__ = ["create_app", "ConfigError"]


def create_app(overrides: dict | None = None, *, instance_path: str | None = None) -> Flask:
    """The only place that wires things: config → extensions → OAuth server → blueprints → CLI."""
    app = ReplayingFlask(__name__, instance_path=instance_path or os.environ.get("IDP_INSTANCE_PATH"),
                instance_relative_config=True)
    load_config(app, overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["ENV"] != "production":
        from .i18n import compile_catalogs
        compile_catalogs()  # production builds compile them at packaging time (make install)
    init_extensions(app)
    tune_sqlite(app)
    from .services import profile_sync
    profile_sync.install()
    init_keystore(app)

    from .oauth.client_cache import init_client_cache
    from .oauth.server import init_oauth
    init_client_cache(app)
    init_oauth(app)
    register_blueprints(app)

    from .cli import register_cli
    register_cli(app)

    from .errors import register_error_handlers
    from .security import register_security_headers
    register_error_handlers(app)
    register_security_headers(app)

    from .sessions import apply_cookie
    app.after_request(apply_cookie)

    from .i18n import role_name, select_locale
    app.jinja_env.filters["role_name"] = role_name

    @app.context_processor
    def inject_locale():
        return {"current_locale": select_locale()}

    @app.teardown_appcontext
    def forget_session(exc):
        g.pop("sso_session", None)

    from .views import discovery
    discovery.install(app)  # discovery and JWKS, in front of Flask
    from . import ops
    ops.install(app)  # outermost WSGI layer: probes, metrics, request ids, request log lines
    return app


def load_config(app: Flask, overrides: dict | None) -> None:
    app.config.from_object(DefaultConfig)
    config_file = os.environ.get("IDP_CONFIG")
    if config_file:
        app.config.from_pyfile(config_file)
    app.config.from_prefixed_env("IDP")
    if "DATABASE_URL" in app.config:  # IDP_DATABASE_URL, the short spelling
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config.update(overrides or {})
    configure_database(app.config)
    if app.config["REDIS_URL"] and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    app.config["TESTING"] = app.config.get("TESTING") or app.config["ENV"] == "testing"
    app.config["DEBUG"] = app.config.get("DEBUG") or False
    validate_config(app.config)
    secure = app.config["ISSUER"].startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = secure
    if secure and not app.config["SESSION_COOKIE_NAME"].startswith("__Host-"):
        app.config["SESSION_COOKIE_NAME"] = "__Host-" + app.config["SESSION_COOKIE_NAME"]
    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def configure_database(config) -> None:
    """PostgreSQL through psycopg 3 (the driver installed), with every pooled connection
    checked before use: a connection the server dropped while idle costs no request."""
    url = config["SQLALCHEMY_DATABASE_URI"]
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError("IDP_DATABASE_URL must be an SQLAlchemy URL, e.g. "
                          "postgresql://user:password@host/idp")
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            config["SQLALCHEMY_DATABASE_URI"] = url = "postgresql+psycopg://" + url[len(bare):]
    if not url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True,
                                               **config["SQLALCHEMY_ENGINE_OPTIONS"]}


def init_extensions(app: Flask) -> None:
    from sqlalchemy.exc import ArgumentError

    from .extensions import babel, csrf, db, limiter, migrate
    from .i18n import select_locale

    try:
        db.init_app(app)  # creates the engine
    except (ArgumentError, ImportError) as exc:  # an unknown dialect or a driver not installed
        raise ConfigError(f"IDP_DATABASE_URL cannot be used: {exc}") from exc
    from .replay import close_session_on_a_dropped_connection
    close_session_on_a_dropped_connection(app, db)
    from .models._types import render_item
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True, render_item=render_item, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    limiter.init_app(app)


def unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def tune_sqlite(app: Flask) -> None:
    """The embedded SQLite default: WAL (readers never wait for the writer), enforced foreign
    keys, a busy timeout instead of "database is locked" under concurrent workers, and a
    Unicode lower()."""
    from sqlalchemy import event

    from .extensions import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
        # SQLite's lower() knows ASCII only; SQLAlchemy's ilike() is lower() LIKE lower() there,
        # so "õunapuu" would not find "Õunapuu". Python's lower() is what PostgreSQL does.
        dbapi_connection.create_function("lower", 1, unicode_lower, deterministic=True)


def init_keystore(app: Flask) -> None:
    from keys import KeyStore

    directory = Path(app.instance_path) / app.config["KEYS_DIR"]
    store = KeyStore(directory, app.config["KEYS_PASSPHRASE"].encode(),
                     jwks_cache_seconds=app.config["JWKS_CACHE_SECONDS"],
                     # the longest anything we signed must still verify: ID tokens, and expired
                     # ones as id_token_hint for as long as a session may live
                     max_token_lifetime_seconds=max(app.config["ID_TOKEN_LIFETIME"],
                                                    app.config["SESSION_ABSOLUTE_TIMEOUT"]))
    if app.config["KEYS_AUTO_GENERATE"]:
        store.ensure_development_keys()
    if app.config["ENV"] == "production" and store.is_development:
        raise ConfigError("refusing a production start with development signing keys: "
                          "generate real keys with 'idp keys generate' and prune the development ones")
    app.extensions["keystore"] = store


def register_blueprints(app: Flask) -> None:
    from .account.link_views import bp as linking_bp
    from .account.views import bp as account_bp
    from .login.views import bp as login_bp
    from .views.authorize import bp as authorize_bp
    from .views.discovery import bp as discovery_bp
    from .views.logout import bp as logout_bp
    from .views.token import bp as token_bp
    from .views.ui import bp as ui_bp
    from .views.userinfo import bp as userinfo_bp

    for bp in (discovery_bp, authorize_bp, token_bp, userinfo_bp, logout_bp, login_bp,
               account_bp, linking_bp, ui_bp):
        app.register_blueprint(bp)
    register_recovery(app)
    register_eid(app)
    register_admin_and_api(app)


def register_recovery(app: Flask) -> None:
    """Getting in without a password: "unustasid salasõna?", account requests (public pages
    and the director's review under /admin/<slug>/requests), the development mailbox."""
    from .account_requests import public as account_requests_bp
    from .account_requests import review as request_review_bp
    from .devmail import bp as devmail_bp
    from .recovery import bp as recovery_bp

    for bp in (recovery_bp, account_requests_bp, request_review_bp, devmail_bp):
        app.register_blueprint(bp)


def register_eid(app: Flask) -> None:
    """ID-card and Smart-ID login, what follows an eID login (password, profile, e-mail
    confirmation), "Minu lapsed", and the director's password exceptions."""
    from .account.children import bp as children_bp
    from .login.eid_exceptions import bp as password_exceptions_bp
    from .login.eid_name import bp as eid_name_bp
    from .login.eid_profile import bp as eid_profile_bp
    from .login.eid_views import bp as eid_bp

    for bp in (eid_bp, eid_profile_bp, eid_name_bp, children_bp, password_exceptions_bp):
        app.register_blueprint(bp)


def register_admin_and_api(app: Flask) -> None:
    """The director's pages and the schools' provisioning API (bearer tokens, no cookies:
    exempt from CSRF)."""
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .extensions import csrf

    csrf.exempt(api_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(api_bp)
