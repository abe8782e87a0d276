"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database reachable, signing
keys loaded, database schema at the migrations' head). Served by the WSGI middleware in
``idp.ops.middleware``, before Flask: no session, locale, limiter or security-header work.

A readiness failure is a 503 whose JSON says which check failed, never an exception text
(which may name hosts or users of the database).
"""

from __future__ import annotations

import logging
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from ..extensions import db

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def healthz(app: Flask) -> tuple[int, dict]:
    return 200, {"status": "ok"}


def readyz(app: Flask) -> tuple[int, dict]:
    with app.app_context():
        problem = check_database(app) or check_keys(app)
    if problem:
        return 503, {"status": "unavailable", **problem}
    return 200, {"status": "ready"}


def migration_heads(app: Flask) -> frozenset[str]:
    """The head revision(s) of the code's migrations (read once per process)."""
    heads = app.extensions.get("ops_migration_heads")
    if heads is None:
        from alembic.config import Config
        from alembic.script import ScriptDirectory
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        heads = app.extensions["ops_migration_heads"] = frozenset(
            ScriptDirectory.from_config(config).get_heads())
    return heads


def check_database(app: Flask) -> dict | None:
    """One query answers both: is the database there, and is its schema current?"""
    heads = migration_heads(app)
    try:
        with db.engine.connect() as conn:
            try:
                current = frozenset(conn.execute(
                    sa.text("SELECT version_num FROM alembic_version")).scalars())
            except sa.exc.SQLAlchemyError:
                conn.rollback()
                conn.execute(sa.text("SELECT 1"))  # reachable, but never migrated
                current = frozenset()
    except sa.exc.SQLAlchemyError as exc:
        log.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return {"reason": "database", "detail": "the database does not answer"}
    if current != heads:
        return {"reason": "migrations",
                "detail": "the database schema is not at the code's migration head: run 'idp db upgrade'",
                "database": sorted(current), "code": sorted(heads)}
    return None


def check_keys(app: Flask) -> dict | None:
    from keys import KeyStoreError
    try:
        app.extensions["keystore"].signing_key("RS256")
    except (KeyStoreError, OSError) as exc:
        log.warning("readiness: no usable signing key (%s)", type(exc).__name__)
        return {"reason": "keys", "detail": "no active RS256 signing key could be loaded"}
    return None
