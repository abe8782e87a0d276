"""A request whose database connection dropped before anything was committed is replayed once
(idp/replay.py); one that attempted a COMMIT never is."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import request

from idp.extensions import csrf, db


def disconnect() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"),
                                   connection_invalidated=True)


@pytest.fixture
def flaky(app):
    """Routes that fail with a disconnect on their first ``fail`` calls."""
    calls = {"count": 0, "fail": 1, "error": disconnect}

    def maybe_fail():
        calls["count"] += 1
        if calls["count"] <= calls["fail"]:
            raise calls["error"]()

    @app.post("/_test/echo")
    @csrf.exempt
    def echo():
        db.session.execute(sa.text("SELECT 1"))
        maybe_fail()
        return {"form": request.form.to_dict(), "calls": calls["count"]}

    @app.post("/_test/commit-then-fail")
    @csrf.exempt
    def commit_then_fail():
        db.session.execute(sa.text("SELECT 1"))
        db.session.commit()
        maybe_fail()
        return {"calls": calls["count"]}

    return calls


def test_disconnect_before_commit_replays_the_request_with_its_body(app, flaky):
    response = app.test_client().post("/_test/echo", data={"username": "mari", "x": "õ"})
    assert response.status_code == 200
    assert response.get_json() == {"form": {"username": "mari", "x": "õ"}, "calls": 2}


def test_a_request_is_replayed_once_only(app, flaky):
    flaky["fail"] = 2
    with pytest.raises(sa.exc.OperationalError):  # ENV=testing lets errors through
        app.test_client().post("/_test/echo", data={"a": "1"})
    assert flaky["count"] == 2


def test_disconnect_after_a_commit_attempt_is_not_replayed(app, flaky):
    with pytest.raises(sa.exc.OperationalError):
        app.test_client().post("/_test/commit-then-fail")
    assert flaky["count"] == 1


def test_other_database_errors_are_not_replayed(app, flaky):
    flaky["error"] = lambda: sa.exc.OperationalError("SELECT 1", {}, Exception("deadlock"))
    with pytest.raises(sa.exc.OperationalError):
        app.test_client().post("/_test/echo")
    assert flaky["count"] == 1


@pytest.mark.parametrize("app_config", [{"ENV": "development"}], indirect=True)
def test_in_production_a_second_disconnect_is_an_ordinary_500(app, flaky):
    flaky["fail"] = 2
    response = app.test_client().post("/_test/echo", headers={"Accept": "application/json"})
    assert response.status_code == 500 and response.get_json()["error"] == "server_error"


def test_a_real_dropped_postgresql_connection_is_replayed(app):
    """The backend serving this request is terminated by the server mid-request."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL (IDP_TEST_DATABASE_URL): terminates a real backend")
    pids = []

    @app.post("/_test/terminate-me")
    @csrf.exempt
    def terminate_me():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        pids.append(pid)
        if len(pids) == 1:
            with db.engine.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        db.session.execute(sa.text("SELECT 1"))
        return {"pid": pid}

    response = app.test_client().post("/_test/terminate-me", data={"a": "b"})
    assert response.status_code == 200
    assert len(pids) == 2 and pids[0] != pids[1]


def test_a_connection_dropped_after_the_response_was_ready_costs_nothing(app):
    """The request's closing rollback fails on a dropped connection: the response still goes."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL (IDP_TEST_DATABASE_URL): terminates a real backend")

    @app.get("/_test/read-then-lose")
    def read_then_lose():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        with db.engine.connect() as other:
            other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return {"pid": pid}

    client = app.test_client()
    assert client.get("/_test/read-then-lose").status_code == 200
    assert client.get("/_test/read-then-lose").status_code == 200  # the pool recovered
