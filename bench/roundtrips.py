"""Statements and commits per request type (issue 9 item 2), for the README's budgets.

    .venv/bin/python -m bench.roundtrips [--database URL]

Counts what each request sends to the database (SQLAlchemy engine events, tests/perf/counting.py)
on a warm node: one login flow runs first, as on a node that has served traffic. SQLite in a
temporary folder by default; ``--database`` names an empty PostgreSQL database to use instead
(its tables are created and dropped).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile

from idp import create_app
from idp.extensions import db
from tests.helpers import auth_params, build_world, login_and_get_tokens, pkce_pair
from tests.perf.counting import Counts, count_queries, login_flow

FLOW = ("authorize", "login", "authorize again", "token")


def measure(app, world) -> dict[str, Counts]:
    school = world.schools["alpha"]
    auth = (school["client_id"], school["secret"])
    login_and_get_tokens(app.test_client(), school, "mari")  # warm: the school's record is cached
    client = app.test_client()
    counts, tokens = login_flow(app, client, school)
    counts["= login flow (" + ", ".join(FLOW) + ")"] = sum((counts[n] for n in FLOW), Counts())
    _, challenge = pkce_pair()
    with count_queries(app) as counts["authorize (live session)"]:
        client.get("/authorize", query_string=auth_params(school, challenge))
    with count_queries(app) as counts["refresh_token (rotation)"]:
        client.post("/token", auth=auth, data={"grant_type": "refresh_token",
                                               "refresh_token": tokens["refresh_token"]})
    with count_queries(app) as counts["userinfo"]:
        client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    with count_queries(app) as counts["client_credentials"]:
        client.post("/token", auth=auth, data={"grant_type": "client_credentials"})
    for path in ("/.well-known/openid-configuration", "/jwks.json"):
        with count_queries(app) as counts[path]:
            client.get(path)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="an empty database URL (default: SQLite, temporary)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="idp-roundtrips-")
    app = create_app({"ENV": "testing", "SECRET_KEY": "roundtrips", "ISSUER": "http://idp.bench",
                      "KEYS_AUTO_GENERATE": True, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 512,
                      "SQLALCHEMY_DATABASE_URI": args.database or f"sqlite:///{tmp}/idp.sqlite3"},
                     instance_path=tmp)
    try:
        with app.app_context():
            db.create_all()
            world = build_world()
        counts = measure(app, world)
        print(f"{'request':62} {'statements':>10} {'commits':>8}")
        for name, c in counts.items():
            print(f"{name:62} {c.statements:>10} {c.commits:>8}")
    finally:
        with app.app_context():
            if args.database:
                db.drop_all()
            db.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
