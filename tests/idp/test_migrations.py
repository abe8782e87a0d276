"""Alembic migrations (idp/migrations): upgrading an empty database gives exactly the models'
schema, and downgrading to base removes it again. Runs on SQLite, and on PostgreSQL when
IDP_TEST_DATABASE_URL is set (the ``app`` fixture picks the database)."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from idp.extensions import db
from idp.models._types import render_item

# idp/migrations/env.py still calls db.get_engine() first (Flask-SQLAlchemy < 3 spelling), which
# Flask-SQLAlchemy 3.1 answers with a DeprecationWarning (an error under this suite's settings).
# SQLite's reflection cannot see expression indexes (lower(email)), so autogenerate cannot
# compare them there: test_expression_indexes_exist checks them instead.
pytestmark = [
    pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
]


@pytest.fixture
def keep_logging():
    """The migration environment runs logging.config.fileConfig(), which disables every
    existing logger; put logging back as it was for the rest of the suite."""
    manager = logging.root.manager
    root = (logging.root.level, list(logging.root.handlers))
    loggers = {name: (lg.disabled, lg.level, list(lg.handlers), lg.propagate)
               for name, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    yield
    logging.root.setLevel(root[0])
    logging.root.handlers[:] = root[1]
    for name, lg in list(manager.loggerDict.items()):
        if not isinstance(lg, logging.Logger):
            continue
        disabled, level, handlers, propagate = loggers.get(name, (False, logging.NOTSET, [], True))
        lg.disabled, lg.handlers[:], lg.propagate = disabled, handlers, propagate
        lg.setLevel(level)


def drop_version_table() -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def empty_database(app, keep_logging):
    """The test app's database with nothing in it (the fixture made it with create_all)."""
    with app.app_context():
        db.drop_all()
        drop_version_table()
        yield
        db.session.remove()
        drop_version_table()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def describe(change) -> str:
    if isinstance(change, list):  # modify_* changes come as a list of tuples
        return "; ".join(describe(c) for c in change)
    op, *rest = change
    names = [getattr(x, "name", None) or repr(x) for x in rest if x is not None]
    return f"{op} {' '.join(map(str, names))}"[:160]


def schema_differences() -> list[str]:
    """What ``flask db migrate`` would generate now (empty: models and migrations agree)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "render_item": render_item})
        return [describe(change) for change in compare_metadata(context, db.metadata)]


def database_kind() -> str:
    return db.engine.dialect.name


def test_migrations_upgrade_gives_exactly_the_models_schema(empty_database):
    assert table_names() == set()
    upgrade()
    assert schema_differences() == [], f"models and migrations differ on {database_kind()}"
    assert table_names() == set(db.metadata.tables) | {"alembic_version"}


def test_migrations_single_head_and_version_recorded(empty_database):
    from flask import current_app
    config = current_app.extensions["migrate"].migrate.get_config(
        current_app.extensions["migrate"].directory)
    from alembic.script import ScriptDirectory
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"more than one head: {heads}"
    upgrade()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == tuple(heads)


def test_migrations_downgrade_to_base_removes_everything(empty_database):
    upgrade()
    downgrade(revision="base")
    assert table_names() <= {"alembic_version"}
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == ()
    upgrade()  # and up again
    assert schema_differences() == []


def test_migrations_upgraded_database_works(app, client, empty_database):
    upgrade()
    from tests.helpers import build_world, login_and_get_tokens
    world = build_world()
    tokens = login_and_get_tokens(client, world.schools["alpha"], "mari")
    assert tokens["id_token"] and tokens["access_token"]


def index_definitions(table: str) -> dict[str, str]:
    """Every index of ``table`` with its SQL, expression indexes included (read from the catalog,
    not by reflection, which skips them on SQLite)."""
    if database_kind() == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
    else:
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"
    with db.engine.connect() as conn:
        return {name: (sql or "") for name, sql in conn.execute(sa.text(query), {"t": table})}


def test_expression_indexes_exist_after_upgrade_and_create_all(app, empty_database):
    """The login lookup's lower(email) index is made by the migration and by create_all."""
    upgrade()
    migrated = index_definitions("person")
    assert re.search(r"lower\(+email", migrated.get("ix_person_email_lower", "").lower())
    downgrade(revision="base")
    drop_version_table()
    db.create_all()
    assert index_definitions("person").keys() == migrated.keys()
