"""Round trips per request (issue 9 item 2): statements and commits counted with SQLAlchemy
engine events, against budgets. The database is warm (one login flow ran before) as it is on a
running node; a budget is a ceiling, so doing better passes."""

from __future__ import annotations

import pytest

from tests.helpers import auth_params, login_and_get_tokens, pkce_pair
from tests.perf.counting import Counts, count_queries, login_flow

#: a whole login flow: /authorize, the login POST, /authorize again, /token
FLOW_STATEMENTS, FLOW_COMMITS = 12, 3
#: the requests of the login flow (the login form's GET is not one of them)
FLOW = ("authorize", "login", "authorize again", "token")


@pytest.fixture
def warm(app, world):
    """One flow in another browser first: the schools' client records are cached by then."""
    login_and_get_tokens(app.test_client(), world.schools["alpha"], "mari")
    return world


def test_a_login_flow_costs_at_most_12_statements_and_3_commits(app, client, warm):
    counts, _ = login_flow(app, client, warm.schools["alpha"])
    total = sum((counts[name] for name in FLOW), Counts())
    report = "\n".join(f"{name}: {c.report()}" for name, c in counts.items())
    assert total.statements <= FLOW_STATEMENTS, report
    assert total.commits <= FLOW_COMMITS, report
    # the school is never read from the database: its client record is cached
    assert not any("FROM school" in sql for sql in total.sql), report


def test_the_login_form_reads_nothing(app, client, warm):
    counts, _ = login_flow(app, client, warm.schools["alpha"])
    assert counts["login form"].statements == 0, counts["login form"].report()


def test_client_credentials_costs_at_most_2_statements(app, client, warm):
    school = warm.schools["alpha"]
    with count_queries(app) as counts:
        response = client.post("/token", data={"grant_type": "client_credentials"},
                               auth=(school["client_id"], school["secret"]))
    assert response.status_code == 200
    assert counts.statements <= 2 and counts.commits <= 1, counts.report()


def test_a_refresh_costs_at_most_5_statements(app, client, warm):
    school = warm.schools["alpha"]
    _, tokens = login_flow(app, client, school)
    with count_queries(app) as counts:
        response = client.post("/token", data={"grant_type": "refresh_token",
                                               "refresh_token": tokens["refresh_token"]},
                               auth=(school["client_id"], school["secret"]))
    assert response.status_code == 200, response.get_json()
    assert counts.statements <= 5 and counts.commits <= 1, counts.report()


def test_userinfo_is_one_statement(app, client, warm):
    _, tokens = login_flow(app, client, warm.schools["alpha"])
    with count_queries(app) as counts:
        response = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 200 and response.get_json()["schools"]
    assert counts.statements <= 1 and counts.commits == 0, counts.report()


def test_a_live_session_answers_authorize_in_3_statements(app, client, warm):
    school = warm.schools["alpha"]
    login_flow(app, client, school)
    _, challenge = pkce_pair()
    with count_queries(app) as counts:
        response = client.get("/authorize", query_string=auth_params(school, challenge))
    assert response.location.startswith(school["redirect_uri"])
    assert counts.statements <= 3 and counts.commits <= 1, counts.report()
