"""Configuration: every key declared once, beside its default.

Load order (see ``create_app``): ``DefaultConfig`` → the file named by ``IDP_CONFIG``
(a Python file) → ``IDP_*`` environment variables (``app.config.from_prefixed_env("IDP")``,
values JSON-decoded where possible) → ``overrides`` passed to ``create_app`` (tests).
``validate_config`` runs at the end and refuses an unsafe production start.
"""

from __future__ import annotations

import os
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
    #: failed messages (given up, or refused by the receiver) are deleted this many days after
    #: they were created; None keeps them
    OUTBOX_FAILED_RETENTION_DAYS = 30

    # --- purge (idp.purge): what ended is deleted, so that the cost stays flat ---
    #: ``idp worker`` purges every this many seconds (0: never; run ``idp purge`` from cron)
    PURGE_INTERVAL = 300
    #: rows deleted per transaction (each batch is short; locks are held that long only)
    PURGE_BATCH_SIZE = 1000
    #: seconds one purge round may take; what is left waits for the next round
    PURGE_TIME_BUDGET = 10.0
    #: seconds expired or ended codes, tokens, sessions and links are kept (delivered messages:
    #: after delivery); a code's nonce is remembered (replay check) that long after it expired
    PURGE_GRACE = 3600
    #: audit events older than this many days are deleted (default: more than a year, so a
    #: whole school year can be looked back on); 0 or None keeps them forever
    AUDIT_RETENTION_DAYS = 400

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
    #: development only: show the file mailbox (MAILBOX_DIR) at /dev/mailbox; ``demo run``
    #: turns it on. Never served when ENV is production, whatever this says.
    DEV_MAILBOX_ENABLED = False

    # --- "unustasid salasõna?" (password recovery by e-mailed link) ---
    #: seconds an e-mailed recovery link stays valid
    RECOVERY_LINK_LIFETIME = 30 * 60
    #: at most this many links per account per hour; further requests send nothing
    RECOVERY_LINKS_PER_ACCOUNT_HOUR = 3
    #: requests of the "forgot password" form per client address (Flask-Limiter syntax)
    RECOVERY_ADDRESS_LIMIT = "20 per hour"

    # --- "Ava kasutajakonto" (account requests reviewed by the director) ---
    #: seconds the e-mailed link that confirms a request's address stays valid
    ACCOUNT_REQUEST_CONFIRM_LIFETIME = 3 * 24 * 3600
    #: seconds the set-password link mailed on approval stays valid
    ACCOUNT_REQUEST_PASSWORD_LINK_LIFETIME = 7 * 24 * 3600
    #: submissions of the request form per client address (Flask-Limiter syntax)
    ACCOUNT_REQUEST_ADDRESS_LIMIT = "10 per hour"
    #: confirmation e-mails per address and school per hour; further submissions send nothing
    ACCOUNT_REQUEST_MAILS_PER_ADDRESS_HOUR = 3
    #: a form sent sooner than this many seconds after it was shown is taken for a bot's
    ACCOUNT_REQUEST_MIN_FILL_SECONDS = 3

    # --- eID login: ID-card through Web eID (idp.eid.webeid, idp.login.eid_views) ---
    #: the origin the card signs, ``https://host[:port]``; "" = the ISSUER's origin. ID-card
    #: login is offered only on an https origin (Web eID works on nothing else).
    WEBEID_ORIGIN = ""
    #: trust SK's and Zetes' TEST card CAs instead of the production ones (test environments)
    WEBEID_TEST_CARDS = False
    #: further issuing-CA certificates (PEM files) trusted for ID-cards
    WEBEID_EXTRA_CA_FILES: tuple = ()
    #: ask each card certificate's OCSP responder (AIA) whether it is revoked
    WEBEID_OCSP = True
    #: seconds to wait for that OCSP responder (Web eID's default)
    WEBEID_OCSP_TIMEOUT = 5.0

    # --- eID login: Smart-ID through SK's RP API v3 (idp.eid.smartid) ---
    #: Smart-ID is offered once SK's contract gives these two (DEMO: 00000000-0000-4000-8000-
    #: 000000000000 / DEMO); ``demo run`` fills them in for the local stand-in when empty
    SMARTID_RELYING_PARTY_UUID = ""
    SMARTID_RELYING_PARTY_NAME = ""
    #: SK LIVE; SK DEMO is https://sid.demo.sk.ee/smart-id-rp/v3/
    SMARTID_BASE_URL = "https://rp-api.smart-id.com/v3/"
    #: ``smart-id`` (LIVE) or ``smart-id-demo`` (DEMO, the stand-in): part of every signature
    SMARTID_SCHEME_NAME = "smart-id"
    #: trust SK's DEMO CAs instead of the LIVE ones
    SMARTID_TEST_CAS = False
    #: further issuing-CA certificates (PEM files), e.g. the stand-in's TEST CA in development
    SMARTID_EXTRA_CA_FILES: tuple = ()
    #: TLS check of SK's API: True, or the file of the pinned certificates SK requires
    SMARTID_TLS_VERIFY: bool | str = True
    #: QUALIFIED (acr "high"), or ADVANCED to accept Smart-ID Basic too (acr "substantial")
    SMARTID_CERTIFICATE_LEVEL = "QUALIFIED"
    #: how long one status request of the login page waits at SK (RP API timeoutMs, 1000 or more)
    SMARTID_POLL_TIMEOUT_MS = 3000
    #: Smart-ID logins one client address may start (Flask-Limiter syntax): each may ring a phone
    SMARTID_START_LIMIT = "30 per 10 minutes"
    #: development only: the stand-in's "phone" page, linked from the Smart-ID page
    SMARTID_STANDIN_PHONE_URL = ""

    # --- who must log in with eID (idp.login.staff_policy) ---
    #: teachers, staff and directors log in with ID-card or Smart-ID only, as in Stuudium. None:
    #: on, except under ENV=testing (the older suites log teachers in with passwords)
    STAFF_EID_REQUIRED = None
    #: the longest password exception a director may grant a teacher or staff account (hours)
    PASSWORD_EXCEPTION_MAX_HOURS = 24
    #: password exceptions one account may be granted in 30 days
    PASSWORD_EXCEPTIONS_PER_MONTH = 4
    #: seconds an e-mailed address-confirmation link stays valid
    EMAIL_CONFIRMATION_LIFETIME = 3 * 24 * 3600
    #: seconds an eID-verified identity waits for the account-request form
    EID_IDENTITY_LIFETIME = 3600

    # --- ``idp serve`` (idp.serve): the production server ---
    #: ``granian`` (Rust HTTP server, WSGI interface; measured the faster) or ``gunicorn``
    SERVER = "granian"
    #: HOST:PORT to listen on
    BIND = "127.0.0.1:8000"
    #: worker processes; 0 = one per CPU this process may use
    WORKERS = 0
    #: threads per worker (requests one worker serves at once; the database and Argon2
    #: release the GIL)
    THREADS = 8
    #: seconds requests in flight may take to finish after SIGTERM/SIGINT
    GRACEFUL_TIMEOUT = 30
    #: trust X-Forwarded-For/-Proto from this many proxies in front of the IdP (0: none, the
    #: client's address is the socket's). Rate limits and throttles count by that address.
    PROXY_FIX_HOPS = 0
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the UI cookie
    #: Flask-WTF's https Referer check cannot work: every page says ``Referrer-Policy:
    #: no-referrer``, so browsers send no Referer (and ``Origin: null``) with our own forms.
    #: The CSRF token in the signed, SameSite=Lax UI cookie is the protection.
    WTF_CSRF_SSL_STRICT = False
    RATELIMIT_STORAGE_URI = "memory://"
    #: ``redis://host:6379/0``: what several processes or nodes must share (rate-limit counters,
    #: cache invalidation). "" = nothing shared: fine for one process (``make run``, tests).
    REDIS_URL = ""
    #: prefix of every key the IdP keeps in Redis (several deployments may share one server)
    REDIS_KEY_PREFIX = "idp:"

    # --- operating it (idp.ops): logs, health, metrics ---
    #: ``json`` (one JSON object per line) or ``text``; None: json in production, text elsewhere
    LOG_FORMAT: str | None = None
    #: the least severe level written: DEBUG, INFO, WARNING, ERROR
    LOG_LEVEL = "INFO"
    #: one log line per request (method, path without query, endpoint, status, duration, request id)
    LOG_REQUESTS = True
    #: serve Prometheus metrics at /metrics. None: on outside production, off in production
    METRICS_ENABLED: bool | None = None
    #: bearer token the scraper sends (``Authorization: Bearer ...``), at least 32 characters;
    #: required when metrics are enabled in production
    METRICS_TOKEN = ""


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
    problems = check_serving(config) + check_purge(config)
    if problems:
        raise ConfigError("; ".join(problems))
    if config["AUTHORIZATION_CODE_LIFETIME"] > 600:
        raise ConfigError("IDP_AUTHORIZATION_CODE_LIFETIME must be at most 600 s (RFC 6749 4.1.2)")
    setting_problems = check_eid(config) + check_ops(config)
    if setting_problems:
        raise ConfigError("; ".join(setting_problems))
    if env != "production":
        return
    problems = []
    if config.get("SMARTID_RELYING_PARTY_UUID") and not str(
            config.get("SMARTID_BASE_URL")).startswith("https://"):
        problems.append("IDP_SMARTID_BASE_URL must be SK's https endpoint in production")
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


def _whole(value, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def check_serving(config: dict) -> list[str]:
    """What is wrong with the settings of ``idp serve`` and the proxies in front of it."""
    problems = []
    if config.get("SERVER", DefaultConfig.SERVER) not in ("granian", "gunicorn"):
        problems.append("IDP_SERVER must be granian or gunicorn")
    host, colon, port = str(config.get("BIND", DefaultConfig.BIND)).rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        problems.append("IDP_BIND must be HOST:PORT, e.g. 0.0.0.0:8000")
    for key, minimum in (("WORKERS", 0), ("THREADS", 1), ("GRACEFUL_TIMEOUT", 1),
                         ("PROXY_FIX_HOPS", 0)):
        if not _whole(config.get(key, getattr(DefaultConfig, key)), minimum):
            problems.append(f"IDP_{key} must be a whole number of at least {minimum}")
    return problems


def check_purge(config: dict) -> list[str]:
    """What is wrong with the purge and retention settings."""
    problems = []

    def get(key: str):
        return config.get(key, getattr(DefaultConfig, key))

    for key, minimum in (("PURGE_INTERVAL", 0), ("PURGE_BATCH_SIZE", 1), ("PURGE_GRACE", 0)):
        if not _whole(get(key), minimum):
            problems.append(f"IDP_{key} must be a whole number, at least {minimum}")
    budget = get("PURGE_TIME_BUDGET")
    if isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0:
        problems.append("IDP_PURGE_TIME_BUDGET must be a positive number of seconds")
    for key in ("AUDIT_RETENTION_DAYS", "OUTBOX_FAILED_RETENTION_DAYS"):
        if get(key) is not None and not _whole(get(key), 0):
            problems.append(f"IDP_{key} must be a whole number of days, or null to keep forever")
    return problems


def check_eid(config: dict) -> list[str]:
    """What is wrong with the eID settings (any environment)."""
    problems = []
    origin = config.get("WEBEID_ORIGIN") or ""
    parts = urlsplit(origin)
    if origin and (parts.scheme != "https" or not parts.netloc or parts.path or parts.query):
        problems.append("IDP_WEBEID_ORIGIN must be https://host[:port] with nothing after it")
    timeout = config.get("SMARTID_POLL_TIMEOUT_MS", DefaultConfig.SMARTID_POLL_TIMEOUT_MS)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1000 <= timeout <= 120_000:
        problems.append("IDP_SMARTID_POLL_TIMEOUT_MS must be 1000..120000")
    if config.get("SMARTID_CERTIFICATE_LEVEL", "QUALIFIED") not in ("QUALIFIED", "ADVANCED"):
        problems.append("IDP_SMARTID_CERTIFICATE_LEVEL must be QUALIFIED or ADVANCED")
    for key in ("WEBEID_EXTRA_CA_FILES", "SMARTID_EXTRA_CA_FILES"):
        missing = [f for f in config.get(key) or () if not os.path.isfile(f)]
        if missing:
            problems.append(f"IDP_{key}: no such file {', '.join(map(str, missing))}")
    hours = config.get("PASSWORD_EXCEPTION_MAX_HOURS", DefaultConfig.PASSWORD_EXCEPTION_MAX_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 24:
        problems.append("IDP_PASSWORD_EXCEPTION_MAX_HOURS must be 1..24")
    return problems


def check_ops(config: dict) -> list[str]:
    """What is wrong with the logging and metrics settings (any environment)."""
    problems = []
    if config.get("LOG_FORMAT") not in (None, "json", "text"):
        problems.append("IDP_LOG_FORMAT must be json or text")
    if str(config.get("LOG_LEVEL", "INFO")).upper() not in ("DEBUG", "INFO", "WARNING", "ERROR",
                                                            "CRITICAL"):
        problems.append("IDP_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    token = config.get("METRICS_TOKEN") or ""
    if token and len(token) < 32:
        problems.append("IDP_METRICS_TOKEN must be at least 32 characters (a long random value)")
    if config.get("ENV") == "production" and config.get("METRICS_ENABLED") and not token:
        problems.append("IDP_METRICS_ENABLED in production needs IDP_METRICS_TOKEN "
                        "(the scraper's bearer token)")
    return problems


MASKED_KEYS = ("SECRET_KEY", "KEYS_PASSPHRASE", "SMTP_PASSWORD", "METRICS_TOKEN")


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
