"""Every hot-path query is served by an index (issue 9: flat cost as history grows).

On PostgreSQL only. One database for the module holds a small country and its history
(``bench.population``: a few thousand persons at six schools, the largest with 2,500 accounts,
thousands of codes, tokens, sessions, audit and outbox rows). Each case runs the real code
(HTTP requests through the test client, or the function itself) while SQLAlchemy's
``before_cursor_execute`` event records its statements; each SELECT, UPDATE and DELETE is then
run again under ``EXPLAIN (ANALYZE)`` with sequential scans disabled (and rolled back). A case
fails when a plan

* reads a table that grows (anything but ``school``) with a sequential scan, or walks a whole
  index (an index scan without an index condition), or
* reads more rows of such a table than the case allows (rows returned plus rows removed by a
  filter or a recheck, over all loops): a lookup "at this school" that only the school's index
  serves reads every account of the school, and that is caught here too.

So a change that makes a hot path filter on something no index serves fails here, whatever
the statement looks like.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from bench.population import load_history, load_population
from idp.extensions import db
from tests.conftest import close_app, make_app
from tests.helpers import build_world, login_and_get_tokens

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("IDP_TEST_DATABASE_URL"),
                       reason="query plans are PostgreSQL's (IDP_TEST_DATABASE_URL)"),
]

#: tables that grow neither with traffic nor with the population
SMALL_TABLES = {"school"}
#: rows a plan may read from one growing table in one case, unless the case says otherwise
ROWS_READ = 60
LARGEST = 2_500


@dataclass
class Loaded:
    app: object
    world: object
    population: object
    largest_id: int


@pytest.fixture(scope="module")
def loaded(shared_keys_dir, tmp_path_factory):
    admin_url = os.environ["IDP_TEST_DATABASE_URL"]
    name = f"idp_plans_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rpartition('/')[0]}/{name}"
    app = make_app(tmp_path_factory.mktemp("plans"), url, shared_keys_dir)
    try:
        with app.app_context():
            world = build_world()
        cheap = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("x")
        population = load_population(url, persons=6_000, schools=6, largest=LARGEST,
                                     password_hash=cheap)
        load_history(url, rows=5_000)
        yield Loaded(app, world, population, population.schools[0][0])
    finally:
        close_app(app)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def recorded():
    """The SELECT, UPDATE and DELETE statements run meanwhile, with their parameters."""
    statements: list[tuple[str, object]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        if not executemany and verb in ("SELECT", "UPDATE", "DELETE", "WITH"):
            statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def explain(statement: str, parameters) -> dict:
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        [[plan]] = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}",
                                        parameters).all()
        conn.rollback()  # an UPDATE or DELETE really ran
    return plan[0]["Plan"]


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def problems(plan: dict, rows_allowed: int) -> list[str]:
    found = []
    for node in nodes(plan):
        table, kind = node.get("Relation Name"), node["Node Type"]
        if table is None or table in SMALL_TABLES or kind == "Bitmap Index Scan":
            continue
        if kind == "Seq Scan":
            found.append(f"sequential scan of {table}")
        elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
            found.append(f"whole index {node.get('Index Name')} of {table} walked")
        read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)) * node.get("Actual Loops", 1)
        if read > rows_allowed:
            found.append(f"{read} rows of {table} read ({kind}, {node.get('Index Name')}, "
                         f"filter {node.get('Filter')})")
    return found


# --- the cases: real code paths ------------------------------------------------------------

def login_flow(t: Loaded):
    """/authorize, the login form (username), the redirect back, /token: every statement."""
    login_and_get_tokens(t.app.test_client(), t.world.schools["alpha"], "mari")


def login_flow_by_email(t: Loaded):
    login_and_get_tokens(t.app.test_client(), t.world.schools["alpha"], "juhan@example.ee")


def token_requests(t: Loaded):
    """A second /authorize on the live session, refresh, userinfo, revocation, RP logout."""
    client, school = t.app.test_client(), t.world.schools["alpha"]
    tokens = login_and_get_tokens(client, school, "mari")
    login_and_get_tokens(client, school, None)
    auth = (school["client_id"], school["secret"])
    refreshed = client.post("/token", data={"grant_type": "refresh_token",
                                            "refresh_token": tokens["refresh_token"]}, auth=auth)
    assert refreshed.status_code == 200, refreshed.get_json()
    assert client.get("/userinfo", headers={
        "Authorization": f"Bearer {refreshed.get_json()['access_token']}"}).status_code == 200
    client.post("/token", data={"grant_type": "refresh_token",  # replayed: the family is revoked
                                "refresh_token": tokens["refresh_token"]}, auth=auth)
    client.post("/revoke", data={"token": refreshed.get_json()["refresh_token"]}, auth=auth)
    client.get("/logout", query_string={"id_token_hint": tokens["id_token"]})


def code_replayed(t: Loaded):
    client, school = t.app.test_client(), t.world.schools["alpha"]
    tokens = login_and_get_tokens(client, school, "mari")
    client.post("/token", data={"grant_type": "authorization_code", "code": tokens["code"],
                                "redirect_uri": school["redirect_uri"],
                                "code_verifier": tokens["verifier"]},
                auth=(school["client_id"], school["secret"]))


def login_lookup_username(t: Loaded):
    from idp.login.authenticate import authenticate
    _slug, username, _email = t.population.logins[5]
    authenticate(t.largest_id, username.upper(), "wrong")


def login_lookup_email(t: Loaded):
    from idp.login.authenticate import authenticate
    email = next(e for _s, _u, e in t.population.logins if e)
    authenticate(t.largest_id, f" {email.upper()} ", "wrong")


def exists_nonce(t: Loaded):
    from idp.oauth.oidc import OpenIDCode
    OpenIDCode().exists_nonce("a-nonce", SimpleNamespace(client=SimpleNamespace(id=t.largest_id),
                                                          user=object()))


def linking_password_check(t: Loaded):
    from idp.account.linking import _password_owner
    _slug, username, email = t.population.logins[7]
    _password_owner(t.largest_id, email or username, "wrong")


def recovery_by_name(t: Loaded):
    from idp.recovery.matching import matching_accounts
    for typed in ("Mari Tamm", "tamm mari", "Mari-Liis Anna Kask", "Hans Peeter Saar",
                  t.population.logins[3][1], "someone@example.ee"):
        matching_accounts(t.largest_id, typed)


def account_request_lookups(t: Loaded):
    import datetime as dt

    from idp.account_requests.service import find_by_link, likely_accounts
    from idp.models import AccountRequest
    for given, family, birthdate in (("Mari", "Tamm", dt.date(2010, 5, 5)), ("Jüri", "Kask", None)):
        row = AccountRequest(school_id=t.largest_id, given_name=given, family_name=family,
                             email_key="mari.tamm@example.ee", isikukood="49403136526",
                             birthdate=birthdate)
        likely_accounts(row)
    find_by_link("not-a-link")


def roster_import_plan(t: Loaded):
    from idp.roster.plan import Snapshot
    Snapshot.load(t.largest_id)


def eid_login_lookup(t: Loaded):
    from idp.login.eid_services import account_for
    from idp.models import School
    account_for(db.session.get(School, t.largest_id), "49403136526")


def delivery_worker_claim(t: Loaded):
    from idp.delivery.outbox import claim
    claim(limit=20)


def login_throttle(t: Loaded):
    from idp.login import throttle
    keys = throttle.keys_for(t.largest_id, "mari", "203.0.113.9")
    throttle.wait_seconds(keys)
    throttle.record_failure(keys)
    throttle.record_success(keys)


CASES: dict[str, tuple[Callable[[Loaded], None], int]] = {
    "login flow by username": (login_flow, ROWS_READ),
    "login flow by e-mail": (login_flow_by_email, ROWS_READ),
    "SSO authorize, refresh, userinfo, replay, revocation, logout": (token_requests, ROWS_READ),
    "a code redeemed twice": (code_replayed, ROWS_READ),
    "login lookup by username at the largest school": (login_lookup_username, ROWS_READ),
    "login lookup by e-mail at the largest school": (login_lookup_email, ROWS_READ),
    "nonce replay check": (exists_nonce, ROWS_READ),
    "linking: the other school's password owner": (linking_password_check, ROWS_READ),
    "recovery: name, username or e-mail": (recovery_by_name, ROWS_READ),
    "account requests: likely accounts, confirmation link": (account_request_lookups, ROWS_READ),
    # the plan reads the school's own accounts, their persons and guardianships: no more
    "roster import plan at the largest school": (roster_import_plan, LARGEST + 200),
    "eID login: the account with a personal code": (eid_login_lookup, ROWS_READ),
    "delivery worker: due messages": (delivery_worker_claim, ROWS_READ),
    "login throttle": (login_throttle, ROWS_READ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hot_path_query_uses_an_index(loaded, case):
    run, rows_allowed = CASES[case]
    app = loaded.app
    with app.app_context(), app.test_request_context():
        with recorded() as statements:
            run(loaded)
        db.session.rollback()
        assert statements, "the case ran no query"
        failures = []
        for statement, parameters in statements:
            found = problems(explain(statement, parameters), rows_allowed)
            if found:
                failures.append(f"{'; '.join(found)}\n    in: {' '.join(statement.split())[:400]}")
        db.session.remove()
    assert not failures, "\n".join(failures)
