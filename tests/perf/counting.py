"""Count the SQL statements and commits a request costs (SQLAlchemy engine events).

    with count_queries(app) as counts:
        client.post("/token", ...)
    assert counts.statements <= 2

Only statements sent by the application are counted (``before_cursor_execute``); SQLite's
connection PRAGMAs run on the raw DBAPI connection and are not. ``commits`` counts COMMITs
of the engine's connections (``commit`` event), savepoints excluded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

from tests.helpers import PASSWORD, auth_params, csrf_token, exchange, pkce_pair, query


@dataclass
class Counts:
    statements: int = 0
    commits: int = 0
    sql: list[str] = field(default_factory=list)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.statements + other.statements, self.commits + other.commits,
                      self.sql + other.sql)

    def report(self) -> str:
        """The statements, one a line (for an assertion message)."""
        lines = [f"{self.statements} statements, {self.commits} commits"]
        lines += [f"  {' '.join(s.split())[:160]}" for s in self.sql]
        return "\n".join(lines)


@contextmanager
def count_queries(app) -> Iterator[Counts]:
    """Count what ``app``'s engine executes and commits while the block runs."""
    from idp.extensions import db

    with app.app_context():
        engine = db.engine
    counts = Counts()

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        counts.statements += 1
        counts.sql.append(statement)

    def on_commit(conn):
        counts.commits += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def login_flow(app, client, school: dict, username: str = "mari") -> tuple[dict[str, Counts], dict]:
    """A browser's login flow at ``school`` (tests/helpers.py world), counted request by request;
    returns the counts and the token response."""
    verifier, challenge = pkce_pair()
    counts: dict[str, Counts] = {}
    with count_queries(app) as counts["authorize"]:
        response = client.get("/authorize", query_string=auth_params(school, challenge))
    login_url = response.location
    with count_queries(app) as counts["login form"]:
        page = client.get(login_url)
    with count_queries(app) as counts["login"]:
        response = client.post(login_url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                                "username": username, "password": PASSWORD})
    assert response.status_code == 303
    with count_queries(app) as counts["authorize again"]:
        response = client.get(response.location)
    code = query(response.location)["code"]
    with count_queries(app) as counts["token"]:
        tokens = exchange(client, school, code, verifier)
    assert tokens.status_code == 200, tokens.get_json()
    return counts, tokens.get_json()
