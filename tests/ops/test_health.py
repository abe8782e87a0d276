"""/healthz and /readyz: cheap, outside the UI machinery, 503 with a reason when not ready."""

from __future__ import annotations

import pytest
from flask_migrate import stamp

from idp.extensions import db


def stamp_head(app, revision: str = "head") -> None:
    with app.app_context():
        stamp(revision=revision)


@pytest.fixture(autouse=True)
def no_alembic_version(app):
    """The suite builds tables with create_all; a PostgreSQL test database outlives the test,
    so the revision a test stamped is removed before and after it."""
    def drop():
        with app.app_context(), db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    drop()
    yield
    drop()


def test_healthz_answers_without_the_database(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_the_probes_skip_the_ui_machinery(app, client):
    """No session cookie, no security-header hook, no request log line: Flask never ran."""
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert "Set-Cookie" not in response.headers
        assert "Content-Security-Policy" not in response.headers
        assert response.headers["Content-Type"] == "application/json"


def test_readyz_when_database_keys_and_migrations_are_in_order(app, client):
    stamp_head(app)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readyz_refuses_a_database_that_was_never_migrated(app, client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["reason"] == "migrations" and body["database"] == []
    assert len(body["code"]) == 1


def test_readyz_refuses_a_database_behind_the_code(app, client):
    stamp_head(app, "c4d267830b80")  # an older revision
    body = client.get("/readyz").get_json()
    assert body["reason"] == "migrations"
    assert body["database"] == ["c4d267830b80"] and body["code"] != body["database"]


def test_readyz_when_the_database_does_not_answer(unreachable_app, tmp_path):
    response = unreachable_app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body == {"status": "unavailable", "reason": "database",
                    "detail": "the database does not answer"}
    assert "sqlite" not in response.text and str(tmp_path) not in response.text


@pytest.mark.parametrize("app_config", [{"KEYS_AUTO_GENERATE": False}], indirect=True)
def test_readyz_without_a_signing_key(app, client, tmp_path):
    app.extensions["keystore"]._directory = tmp_path / "empty-keys"  # a keystore with no keys
    stamp_head(app)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "keys"


def test_probes_answer_head_requests_without_a_body(client):
    response = client.head("/healthz")
    assert response.status_code == 200 and response.data == b""
