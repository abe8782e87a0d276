"""Configuration (idp/config.py, create_app): unsafe production starts are refused."""

from __future__ import annotations

import json
import os

import pytest

from idp import ConfigError, create_app
from idp.config import DEVELOPMENT_KEYS_PASSPHRASE, DEVELOPMENT_SECRET_KEY
from keys import KeyStore

SECRET = "a-long-random-production-secret-0123456789"
PASSPHRASE = "a-long-random-keys-passphrase-9876543210"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No IDP_* settings from the surroundings (the PostgreSQL URL of the suite excepted)."""
    for name in [n for n in os.environ if n.startswith("IDP_") and n != "IDP_TEST_DATABASE_URL"]:
        monkeypatch.delenv(name)


def production(tmp_path, **overrides) -> dict:
    return {"ENV": "production", "SECRET_KEY": SECRET, "KEYS_PASSPHRASE": PASSPHRASE,
            "ISSUER": "https://login.koolid.ee", "KEYS_DIR": str(tmp_path / "keys"),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}", **overrides}


def start(tmp_path, config: dict):
    return create_app(config, instance_path=str(tmp_path / "instance"))


def test_config_production_starts_with_safe_settings(tmp_path):
    KeyStore(tmp_path / "keys", PASSPHRASE.encode()).generate("RS256")
    app = start(tmp_path, production(tmp_path))
    assert app.config["ENV"] == "production"
    assert not app.config["TESTING"] and not app.config["DEBUG"]
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-idp_ui"
    assert not app.extensions["keystore"].is_development


REFUSALS = {
    "default-secret-key": ({"SECRET_KEY": DEVELOPMENT_SECRET_KEY}, r"IDP_SECRET_KEY"),
    "empty-secret-key": ({"SECRET_KEY": ""}, r"IDP_SECRET_KEY"),
    "default-keys-passphrase": ({"KEYS_PASSPHRASE": DEVELOPMENT_KEYS_PASSPHRASE},
                                r"IDP_KEYS_PASSPHRASE"),
    "http-issuer": ({"ISSUER": "http://login.koolid.ee"}, r"IDP_ISSUER must use https"),
    "keys-auto-generate": ({"KEYS_AUTO_GENERATE": True}, r"IDP_KEYS_AUTO_GENERATE.*idp keys generate"),
}


@pytest.mark.parametrize("override,message", REFUSALS.values(), ids=REFUSALS.keys())
def test_config_production_refuses_unsafe_settings(tmp_path, override, message):
    with pytest.raises(ConfigError, match=f"refusing a production start: .*{message}"):
        start(tmp_path, production(tmp_path, **override))


def test_config_production_lists_every_problem_at_once(tmp_path):
    config = production(tmp_path, SECRET_KEY=DEVELOPMENT_SECRET_KEY, ISSUER="http://x.ee",
                        KEYS_PASSPHRASE=DEVELOPMENT_KEYS_PASSPHRASE)
    with pytest.raises(ConfigError) as error:
        start(tmp_path, config)
    assert all(name in str(error.value)
               for name in ("IDP_SECRET_KEY", "IDP_ISSUER", "IDP_KEYS_PASSPHRASE"))


def test_config_production_refuses_development_keys(tmp_path):
    KeyStore(tmp_path / "keys", PASSPHRASE.encode()).ensure_development_keys()
    with pytest.raises(ConfigError, match="development signing keys.*idp keys generate"):
        start(tmp_path, production(tmp_path))


BAD_ISSUERS = {
    "query": ("https://login.koolid.ee?x=1", "without query or fragment"),
    "fragment": ("https://login.koolid.ee#top", "without query or fragment"),
    "trailing-slash": ("https://login.koolid.ee/", "must not end with '/'"),
    "path-trailing-slash": ("https://koolid.ee/idp/", "must not end with '/'"),
    "relative": ("/idp", "absolute URL"),
    "empty": ("", "absolute URL"),
}


@pytest.mark.parametrize("env", ["production", "development"])
@pytest.mark.parametrize("issuer,message", BAD_ISSUERS.values(), ids=BAD_ISSUERS.keys())
def test_OIDC_Discovery_3_issuer_must_be_a_clean_url(tmp_path, env, issuer, message):
    with pytest.raises(ConfigError, match=message):
        start(tmp_path, production(tmp_path, ENV=env, ISSUER=issuer))


@pytest.mark.parametrize("key,value", [
    ("ID_TOKEN_LIFETIME", 0), ("ID_TOKEN_LIFETIME", "600"), ("ID_TOKEN_LIFETIME", True),
    ("SESSION_IDLE_TIMEOUT", -1), ("ACCESS_TOKEN_LIFETIME", 1.5),
], ids=["zero", "string", "bool", "negative", "float"])
def test_config_lifetimes_are_positive_whole_seconds(tmp_path, key, value):
    with pytest.raises(ConfigError, match=f"IDP_{key} must be a positive whole number"):
        start(tmp_path, production(tmp_path, ENV="development", **{key: value}))


def test_RFC_6749_4_1_2_authorization_code_lifetime_at_most_ten_minutes(tmp_path):
    with pytest.raises(ConfigError, match="at most 600"):
        start(tmp_path, production(tmp_path, ENV="development", AUTHORIZATION_CODE_LIFETIME=601))


def test_config_unknown_env_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="production, development or testing"):
        start(tmp_path, production(tmp_path, ENV="staging"))


def test_config_reads_IDP_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("IDP_ENV", "development")
    monkeypatch.setenv("IDP_ISSUER", "https://env.koolid.ee")
    monkeypatch.setenv("IDP_ID_TOKEN_LIFETIME", "900")   # JSON: an int
    monkeypatch.setenv("IDP_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("IDP_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    monkeypatch.setenv("IDP_LANGUAGES", '["et", "en"]')
    app = start(tmp_path, {"KEYS_DIR": str(tmp_path / "keys")})
    assert app.config["ENV"] == "development"
    assert app.config["ISSUER"] == "https://env.koolid.ee"
    assert app.config["ID_TOKEN_LIFETIME"] == 900
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'env.sqlite3'}"
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-idp_ui"
    metadata = app.test_client().get("/.well-known/openid-configuration").get_json()
    assert metadata["issuer"] == "https://env.koolid.ee"


def test_config_environment_is_validated_too(tmp_path, monkeypatch):
    monkeypatch.setenv("IDP_ENV", "production")
    monkeypatch.setenv("IDP_ISSUER", "http://env.koolid.ee")
    with pytest.raises(ConfigError, match="IDP_ISSUER must use https"):
        start(tmp_path, {"KEYS_DIR": str(tmp_path / "keys")})


def test_config_file_then_environment_then_overrides(tmp_path, monkeypatch):
    config_file = tmp_path / "idp.cfg"
    config_file.write_text('ENV = "development"\nISSUER = "https://file.koolid.ee"\n'
                           "ACCESS_TOKEN_LIFETIME = 123\nID_TOKEN_LIFETIME = 321\n")
    monkeypatch.setenv("IDP_CONFIG", str(config_file))
    monkeypatch.setenv("IDP_ACCESS_TOKEN_LIFETIME", "456")
    app = start(tmp_path, {"KEYS_DIR": str(tmp_path / "keys"), "ID_TOKEN_LIFETIME": 789})
    assert app.config["ISSUER"] == "https://file.koolid.ee"
    assert app.config["ACCESS_TOKEN_LIFETIME"] == 456
    assert app.config["ID_TOKEN_LIFETIME"] == 789


def config_show(app) -> tuple[str, dict]:
    result = app.test_cli_runner().invoke(args=["config", "show"])
    assert result.exit_code == 0, result.output
    return result.output, json.loads(result.output)


def test_config_show_masks_secrets(tmp_path):
    app = start(tmp_path, production(
        tmp_path, ENV="development", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://idp:db-pw-42@db/idp",
        RATELIMIT_STORAGE_URI="redis://:redis-pw-42@cache:6379/0"))
    output, shown = config_show(app)
    for secret in (SECRET, PASSPHRASE, "db-pw-42", "redis-pw-42"):
        assert secret not in output
    assert shown["SECRET_KEY"] == shown["KEYS_PASSPHRASE"] == "********"
    assert shown["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://idp:********@db/idp"
    assert shown["RATELIMIT_STORAGE_URI"] == "redis://:********@cache:6379/0"
    assert shown["ISSUER"] == "https://login.koolid.ee"
    assert shown["ID_TOKEN_LIFETIME"] == 600
