"""Fixtures of the operator's tests: an app whose database does not answer, valid configs."""

from __future__ import annotations

import pytest

from tests.conftest import close_app, make_app

LIFETIMES = {"AUTHORIZATION_CODE_LIFETIME": 60, "ACCESS_TOKEN_LIFETIME": 600,
             "ID_TOKEN_LIFETIME": 600, "SESSION_IDLE_TIMEOUT": 60,
             "SESSION_ABSOLUTE_TIMEOUT": 600, "JWKS_CACHE_SECONDS": 300}


def production_config(**extra) -> dict:
    """A configuration ``validate_config`` accepts for production, plus ``extra``."""
    return {"ENV": "production", "ISSUER": "https://idp.example.ee", "SECRET_KEY": "s" * 40,
            "KEYS_PASSPHRASE": "p" * 40, **LIFETIMES, **extra}


@pytest.fixture
def unreachable_app(tmp_path, shared_keys_dir):
    """An app whose SQLite file cannot be opened (its directory does not exist)."""
    app = make_app(tmp_path, None, shared_keys_dir,
                   SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/idp.sqlite3")
    yield app
    close_app(app)
