"""Configuration: every key declared once, beside its default.

Load order (see ``create_app``): ``DefaultConfig`` → the file named by ``IDP_CONFIG``
(a Python file) → ``IDP_*`` environment variables (``app.config.from_prefixed_env("IDP")``,
values JSON-decoded where possible) → ``overrides`` passed to ``create_app`` (tests).
``validate_config`` runs at the end and refuses an unsafe production start.
"""

from __future__ import annotations

from urllib.parse import urlsplit

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"
DEVELOPMENT_KEYS_PASSPHRASE = "development-only-keys-passphrase"


class DefaultConfig:
    #: ``development`` | ``production`` | ``testing``. Production refuses development keys,
    #: the default secret key and a non-https issuer.
    ENV = "production"
    #: Flask's secret for signing the UI cookie (CSRF tokens, pending logins). Required.
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
    #: OIDC Core 2 / Discovery 4.3: the issuer identifier, https, no query or fragment.
    #: Every absolute link (discovery, e-mailed links) is built from it, never from Host.
    ISSUER = "http://localhost:5000"
    #: SQLAlchemy URL. SQLite (embedded) by default; PostgreSQL in production.
    SQLALCHEMY_DATABASE_URI = "sqlite:///idp.sqlite3"  # relative to the instance folder
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # --- signing keys (package ``keys``) ---
    #: directory of the keystore (relative to the instance folder when not absolute)
    KEYS_DIR = "keys"
    #: passphrase that encrypts private keys at rest (set IDP_KEYS_PASSPHRASE in production)
    KEYS_PASSPHRASE = DEVELOPMENT_KEYS_PASSPHRASE
    #: generate development keys when the keystore is empty (``make run``, tests)
    KEYS_AUTO_GENERATE = False
    #: how long RPs may cache the JWKS; ``rotate`` waits this long after publishing a key
    JWKS_CACHE_SECONDS = 300

    # --- lifetimes (seconds) ---
    #: RFC 6749 4.1.2: codes are short-lived (10 minutes at most is recommended)
    AUTHORIZATION_CODE_LIFETIME = 60
    ACCESS_TOKEN_LIFETIME = 600
    ID_TOKEN_LIFETIME = 600
    REFRESH_TOKEN_LIFETIME = 30 * 24 * 3600
    #: SSO session: ends after this long without use, and at the latest after the absolute limit
    SESSION_IDLE_TIMEOUT = 2 * 3600
    SESSION_ABSOLUTE_TIMEOUT = 12 * 3600

    # --- cookies ---
    #: name of the SSO session cookie; ``__Host-`` is prefixed automatically under https
    SSO_COOKIE_NAME = "idp_sso"
    SESSION_COOKIE_NAME = "idp_ui"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    # --- login throttling ---
    #: failures allowed before a delay starts, per account name and per client address
    LOGIN_FREE_ATTEMPTS = 5
    #: first delay after the free attempts, doubling with every further failure
    LOGIN_BASE_DELAY = 2
    #: the longest delay
    LOGIN_MAX_DELAY = 15 * 60
    #: failures allowed from one client address (many people share a school's address)
    LOGIN_ADDRESS_FREE_ATTEMPTS = 30
    #: a name or address with no failure for this long starts from zero again
    LOGIN_FORGET_AFTER = 3600

    # --- passwords (Argon2id; RFC 9106 / OWASP parameters) ---
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_COST = 19 * 1024  # KiB
    ARGON2_PARALLELISM = 1

    # --- i18n ---
    BABEL_DEFAULT_LOCALE = "et"
    LANGUAGES = ("et", "en")

    # --- outgoing messages (the outbox) ---
    #: timeout of one HTTP delivery (back-channel logout, events); the logout page waits at
    #: most about twice this for the first attempts before answering
    DELIVERY_HTTP_TIMEOUT = 2.0
    #: retry delay after the first failure, doubling up to the maximum; give up after a day
    DELIVERY_RETRY_BASE = 5
    DELIVERY_RETRY_MAX = 15 * 60
    DELIVERY_GIVE_UP_AFTER = 24 * 3600

    # --- e-mail ---
    #: ``smtp`` (production) or ``file`` (development: .eml files in MAILBOX_DIR)
    MAIL_BACKEND = "smtp"
    MAIL_FROM = "Koolide sisselogimine <no-reply@localhost>"
    MAILBOX_DIR = "mailbox"
    SMTP_HOST = "localhost"
    SMTP_PORT = 25
    #: ``starttls``, ``tls`` (implicit, port 465) or ``none``
    SMTP_SECURITY = "starttls"
    SMTP_USERNAME = ""
    SMTP_PASSWORD = ""
    SMTP_TIMEOUT = 10

    #: trust X-Forwarded-For/-Proto from this many proxies (0: none)
    PROXY_FIX_HOPS = 0
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the UI cookie
    #: Flask-WTF's https Referer check cannot work: every page says ``Referrer-Policy:
    #: no-referrer``, so browsers send no Referer (and ``Origin: null``) with our own forms.
    #: The CSRF token in the signed, SameSite=Lax UI cookie is the protection.
    WTF_CSRF_SSL_STRICT = False
    RATELIMIT_STORAGE_URI = "memory://"


class ConfigError(Exception):
    """The configuration is unsafe or invalid; the message says what to change."""


def validate_config(config: dict) -> None:
    """Refuse to start with configuration that would be unsafe or broken."""
    env = config.get("ENV")
    if env not in ("production", "development", "testing"):
        raise ConfigError(f"IDP_ENV must be production, development or testing, not {env!r}")
    issuer = config.get("ISSUER") or ""
    parts = urlsplit(issuer)
    if not parts.scheme or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"IDP_ISSUER must be an absolute URL without query or fragment: {issuer!r}")
    if issuer.endswith("/"):
        raise ConfigError("IDP_ISSUER must not end with '/'")
    for key in ("AUTHORIZATION_CODE_LIFETIME", "ACCESS_TOKEN_LIFETIME", "ID_TOKEN_LIFETIME",
                "SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_TIMEOUT", "JWKS_CACHE_SECONDS"):
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"IDP_{key} must be a positive whole number of seconds")
    if config["AUTHORIZATION_CODE_LIFETIME"] > 600:
        raise ConfigError("IDP_AUTHORIZATION_CODE_LIFETIME must be at most 600 s (RFC 6749 4.1.2)")
    if env != "production":
        return
    problems = []
    if parts.scheme != "https":
        problems.append("IDP_ISSUER must use https in production")
    if not config.get("SECRET_KEY") or config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY:
        problems.append("set IDP_SECRET_KEY to a long random value (the default is for development only)")
    if config.get("KEYS_PASSPHRASE") in (None, "", DEVELOPMENT_KEYS_PASSPHRASE):
        problems.append("set IDP_KEYS_PASSPHRASE (the default is for development only)")
    if config.get("KEYS_AUTO_GENERATE"):
        problems.append("IDP_KEYS_AUTO_GENERATE is for development; run 'idp keys generate' instead")
    if problems:
        raise ConfigError("refusing a production start: " + "; ".join(problems))


MASKED_KEYS = ("SECRET_KEY", "KEYS_PASSPHRASE", "SMTP_PASSWORD")


def _hide_url_password(value):
    """``postgresql://idp:secret@db/idp`` → ``postgresql://idp:********@db/idp``."""
    if not isinstance(value, str) or "://" not in value:
        return value
    parts = urlsplit(value)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    if not at or not colon:
        return value
    return parts._replace(netloc=f"{user}:********@{hostport}").geturl()


def public_view(config: dict) -> dict:
    """The effective configuration with secrets masked (``idp config show``)."""
    out = {}
    for key in dir(DefaultConfig):
        if key.isupper():
            value = config.get(key)
            out[key] = "********" if key in MASKED_KEYS and value else _hide_url_password(value)
    return out
