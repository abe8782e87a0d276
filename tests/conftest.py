"""Shared fixtures: an IdP app on a fresh database (SQLite, or PostgreSQL when
``IDP_TEST_DATABASE_URL`` is set), demo-like schools and people, and protocol helpers."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from idp import create_app
from idp.extensions import db

TEST_CONFIG = {
    "ENV": "testing",
    "SECRET_KEY": "test-secret-key",
    "ISSUER": "http://idp.test",
    "KEYS_AUTO_GENERATE": True,
    # cheap Argon2 parameters: the suite hashes many passwords
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 512,
    "ARGON2_PARALLELISM": 1,
}


def pytest_report_header(config):
    return f"idp database: {database_label()}"


def database_label() -> str:
    url = os.environ.get("IDP_TEST_DATABASE_URL")
    return url.split("@")[-1] if url else "SQLite (per-test file)"


@pytest.fixture(scope="session")
def postgres_base_url():
    """A throw-away PostgreSQL database for this test process (one per xdist worker)."""
    url = os.environ.get("IDP_TEST_DATABASE_URL")
    if not url:
        yield None
        return
    import sqlalchemy as sa

    name = f"idp_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base, _, _ = url.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def shared_keys_dir(tmp_path_factory) -> Path:
    """One development keystore for the session (RSA generation is slow); tests that rotate
    keys use ``fresh_keys`` instead."""
    return tmp_path_factory.mktemp("keys")


_SCHEMAS_READY: set[str] = set()
_SQLITE_TEMPLATE: dict[str, Path] = {}


def _fresh_sqlite(tmp_path: Path, keys_dir: Path) -> str:
    """A copy of a database file made once per test process with ``create_all`` (fast)."""
    if "path" not in _SQLITE_TEMPLATE:
        import tempfile
        template = Path(tempfile.mkdtemp(prefix="idp-template-")) / "idp.sqlite3"
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{template}",
                          "KEYS_DIR": str(keys_dir)}, instance_path=str(template.parent / "instance"))
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        _SQLITE_TEMPLATE["path"] = template
    target = tmp_path / "idp.sqlite3"
    shutil.copyfile(_SQLITE_TEMPLATE["path"], target)
    return f"sqlite:///{target}"


def pytest_sessionfinish(session, exitstatus):
    """The template database lives outside pytest's tmp directories: remove it with the run."""
    template = _SQLITE_TEMPLATE.pop("path", None)
    if template is not None:
        shutil.rmtree(template.parent, ignore_errors=True)


def _reset_postgres(app) -> None:
    """Tables are created once per database; later tests start from empty tables (TRUNCATE)."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if url not in _SCHEMAS_READY:
            db.drop_all()
            db.create_all()
            _SCHEMAS_READY.add(url)
            return
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        try:
            with db.engine.begin() as conn:
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        except sa.exc.ProgrammingError:  # a test (migrations) dropped the tables: build again
            db.drop_all()
            db.create_all()


def make_app(tmp_path: Path, postgres_url: str | None, keys_dir: Path, **overrides):
    db_url = postgres_url or _fresh_sqlite(tmp_path, keys_dir)
    config = {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": db_url, "KEYS_DIR": str(keys_dir),
              **overrides}
    app = create_app(config, instance_path=str(tmp_path / "instance"))
    if postgres_url:
        _reset_postgres(app)
    return app


def close_app(app, *, drop_tables: bool = False) -> None:
    """Close an app's database connections after its test.

    Sends and imports still running in threads finish first: a connection left in a disposed
    pool is closed only by the garbage collector, as a ResourceWarning (an error here) in
    whichever later test the collection happens to run.
    """
    from idp.delivery.worker import drain
    from idp.roster.jobs import wait_all
    drain(30)
    wait_all(60)
    with app.app_context():
        db.session.remove()
        if drop_tables:
            db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app_config(request) -> dict:
    """Override in a test module, or ``@pytest.mark.parametrize("app_config", [...], indirect=True)``."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def app(tmp_path, postgres_base_url, shared_keys_dir, app_config):
    app = make_app(tmp_path, postgres_base_url, shared_keys_dir, **app_config)
    yield app
    close_app(app)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """Two schools and a few people (see ``tests/helpers.py``)."""
    from tests.helpers import build_world
    with app.app_context():
        return build_world()
