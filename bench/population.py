"""History and a national population, loaded fast into a PostgreSQL database (issue 9).

    .venv/bin/python -m bench.population --database-url URL [--rows 1000000] [--persons 400000]
        [--schools 500] [--largest 5000] [--measure]

For benchmarks (``make bench``) and the query-plan test (``tests/perf/test_query_plans.py``):

* ``load_population(database_url, persons=400_000, schools=500, largest=5_000, ...)``: schools,
  persons with valid personal codes, Estonian names (a common name is shared by hundreds of
  people, as in life) and e-mail addresses (a child often shares a parent's), their accounts
  (the largest school has ``largest`` accounts, the others share the rest; 2 % of the persons
  are linked to a second school), roles and guardianships. Written with ``COPY``. Every person's
  password is ``password`` (one Argon2id hash at the given cost, or ``password_hash``); every
  school's client secret is ``client_secret``. Returns a ``Population`` naming the schools and
  sample logins.
* ``load_history(database_url, rows=1_000_000, ...)``: ``rows`` rows of past traffic in each
  table that grows with it: SSO sessions (and their participants), authorization codes (used,
  with nonces), tokens (issued for those codes), audit events and delivered outbox messages,
  spread over the last ``days`` days. Written by ``INSERT ... SELECT`` on the server (about
  a minute per million rows and table on a 2-core machine). Needs accounts (load the population
  first, or any data). Returns the counts written.

Both create missing tables (``create_all``) and only add rows: the database may be one of
``idp db upgrade``. ``--measure`` times the login lookup and the other hot-path queries before
and after loading (``measure_lookups``). PostgreSQL only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from argon2 import PasswordHasher

from idp.config import DefaultConfig
from idp.isikukood import checksum
from idp.models.school import digest_secret

from .timing import timed_samples

GIVEN = ("Mari", "Jüri", "Kati", "Jaan", "Anna", "Peeter", "Liis", "Andres", "Kadri", "Tõnu",
         "Maria", "Mart", "Kristi", "Toomas", "Eva", "Rasmus", "Laura", "Martin", "Sofia", "Oskar",
         "Mia", "Robin", "Emma", "Karl", "Hanna", "Markus", "Lisette", "Artur", "Eliise", "Sander",
         "Õnne", "Ülo", "Kärt", "Siim", "Grete", "Kaspar", "Helen", "Rein", "Triin", "Marko",
         "Mari-Liis", "Hans Peeter", "Anu", "Urmas", "Piret", "Priit", "Merike", "Indrek",
         "Getter", "Joosep")
FAMILY = ("Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel",
          "Lepik", "Kuusk", "Luik", "Karu", "Kallas", "Lõhmus", "Kõiv", "Raudsepp", "Vaher",
          "Ots", "Jõgi", "Teder", "Kivi", "Põder", "Org", "Oja", "Laur", "Lill", "Mets", "Toom",
          "Kaasik", "Rand", "Paju", "Kruus", "Kuusik", "Kurg", "Leppik", "Sild", "Kull", "Lumi",
          "Maasikas", "Kask-Tamm", "Õunapuu", "Vares", "Uibo", "Hunt", "Nõmm", "Aru", "Lepp",
          "Roos")
ASCII = str.maketrans("õäöüšžÕÄÖÜŠŽ -", "aaousz" "AAOUSZ" "..")


@dataclass
class Population:
    """What ``load_population`` wrote: school slugs and logins to use in benchmarks."""

    #: (school id, slug, number of accounts), the largest first
    schools: list[tuple[int, str, int]]
    #: (slug, username, e-mail or None) of active accounts at the largest school
    logins: list[tuple[str, str, str | None]]
    persons: int
    accounts: int
    guardianships: int
    password: str
    client_secret: str
    redirect_uri: str

    @property
    def largest(self) -> str:
        return self.schools[0][1]


@dataclass
class _Writer:
    """Rows for COPY, with ids given here (foreign keys without round trips)."""

    start: dict[str, int]
    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        self.start[table] += 1
        return self.start[table]


def _engine(database_url: str) -> sa.Engine:
    engine = sa.create_engine(database_url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("bench.population loads PostgreSQL only (COPY, INSERT ... SELECT)")
    return engine


def _create_tables(engine: sa.Engine) -> None:
    from idp import models  # noqa: F401  (registers every table on the metadata)
    from idp.extensions import db

    db.metadata.create_all(engine)


def _max_ids(conn, tables) -> dict[str, int]:
    return {t: conn.exec_driver_sql(f'SELECT coalesce(max(id), 0) FROM "{t}"').scalar() for t in tables}


def _fix_sequences(conn, tables) -> None:
    for table in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM \"{table}\"), false)")


def _copy(conn, table: str, columns: tuple[str, ...], rows) -> None:
    cursor = conn.connection.driver_connection.cursor()
    names = ", ".join(columns)
    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def isikukood(index: int) -> str:
    """A valid, distinct personal code for person number ``index``: born 1965-2017."""
    born = dt.date(1965, 1, 1) + dt.timedelta(days=index % 19_000)
    century = 3 if born.year < 2000 else 5
    first = f"{century + index % 2}{born:%y%m%d}{index // 19_000 % 1000:03d}"
    return first + str(checksum(first))


def _school_sizes(persons: int, schools: int, largest: int) -> list[int]:
    rest = persons - largest
    base, extra = divmod(rest, schools - 1)
    others = [base + (1 if i < extra else 0) for i in range(schools - 1)]
    if others and max(others) > largest:
        raise ValueError(f"{persons} persons at {schools} schools: the largest must have the most")
    return [largest, *others]


def load_population(database_url: str, *, persons: int = 400_000, schools: int = 500,
                    largest: int = 5_000, password: str = "bench-salasona",
                    password_hash: str | None = None, client_secret: str = "bench-secret",
                    redirect_uri: str = "http://127.0.0.1:8000/callback", linked: float = 0.02,
                    seed: int = 9) -> Population:
    """Schools, persons, accounts and guardianships of a country (see the module docstring).

    The password hash defaults to Argon2id at the IdP's shipped parameters; pass
    ``password_hash`` (any hash ``argon2`` verifies) for a cheaper one.
    """
    rng = random.Random(seed)
    if password_hash is None:
        password_hash = PasswordHasher(time_cost=DefaultConfig.ARGON2_TIME_COST,
                                       memory_cost=DefaultConfig.ARGON2_MEMORY_COST,
                                       parallelism=DefaultConfig.ARGON2_PARALLELISM).hash(password)
    sizes = _school_sizes(persons, schools, largest)
    engine = _engine(database_url)
    _create_tables(engine)
    now = dt.datetime.now(dt.UTC)
    tables = ("school", "person", "account", "guardianship")
    with engine.begin() as conn:
        w = _Writer(_max_ids(conn, tables))
        school_rows, school_ids = [], []
        tag = w.start["school"]
        for number in range(schools):
            sid = w.next_id("school")
            slug = f"kool-{tag + number + 1:04d}"
            school_ids.append((sid, slug))
            school_rows.append((sid, slug, f"Kool {tag + number + 1}", "school", slug,
                                digest_secret(client_secret), now, f'["{redirect_uri}"]', "[]",
                                True, now))
        _copy(conn, "school", ("id", "slug", "name", "kind", "client_id", "client_secret_digest",
                               "secret_rotated_at", "redirect_uris", "post_logout_redirect_uris",
                               "enabled", "created_at"), school_rows)

        person_rows, account_rows, guardian_rows, logins = [], [], [], []
        usernames: set[tuple[int, str]] = set()
        number = w.start["person"]

        def add_account(school_id, person_id, username, roles):
            aid = w.next_id("account")
            usernames.add((school_id, username))
            account_rows.append((aid, school_id, person_id, f"sub-{aid}-{rng.getrandbits(64):016x}",
                                 username, roles, "active", f"X{aid}", now, 0))
            return aid

        for (school_id, slug), size in zip(school_ids, sizes, strict=True):
            parent_email = None
            parent_account = None
            for k in range(size):
                number += 1
                pid = w.next_id("person")
                given, family = rng.choice(GIVEN), rng.choice(FAMILY)
                login = f"{given}.{family}.{number}".lower().translate(ASCII)
                role = "student" if k % 20 < 9 else "parent" if k % 20 < 18 else "teacher"
                if role == "student":
                    # half of the children share the address of the parent before them
                    email = parent_email if k % 2 else (f"{login}@kool.example.ee" if k % 3 else None)
                else:
                    email = f"{login}@example.ee"
                born = dt.date(1965, 1, 1) + dt.timedelta(days=number % 19_000)
                person_rows.append((pid, given, family, isikukood(number), born, email, False,
                                    None, password_hash, now, 1, now, now))
                aid = add_account(school_id, pid, login, f'["{role}"]')
                if role == "parent":
                    parent_email, parent_account = email, aid
                elif role == "student" and parent_account is not None:
                    guardian_rows.append((w.next_id("guardianship"), parent_account, aid, now))
                if k < 200 and school_id == school_ids[0][0]:
                    logins.append((slug, login, email))
                if rng.random() < linked and len(school_ids) > 1:  # linked to a second school
                    other_id = rng.choice(school_ids)[0]
                    if other_id != school_id and (other_id, login) not in usernames:
                        add_account(other_id, pid, login, '["parent"]')
        _copy(conn, "person", ("id", "given_name", "family_name", "isikukood", "birthdate", "email",
                               "email_verified", "phone", "password_hash", "password_changed_at",
                               "version", "created_at", "updated_at"), person_rows)
        _copy(conn, "account", ("id", "school_id", "person_id", "sub", "username", "roles",
                                "status", "external_id", "created_at", "profile_version"),
              account_rows)
        _copy(conn, "guardianship", ("id", "parent_account_id", "student_account_id", "created_at"),
              guardian_rows)
        _fix_sequences(conn, tables)
        for table in tables:
            conn.exec_driver_sql(f'ANALYZE "{table}"')
    engine.dispose()
    counts = {}
    for _sid, slug in school_ids:
        counts[slug] = 0
    by_id = dict(school_ids)
    for row in account_rows:
        counts[by_id[row[1]]] += 1
    ordered = sorted(((sid, slug, counts[slug]) for sid, slug in school_ids), key=lambda s: -s[2])
    return Population(ordered, logins, len(person_rows), len(account_rows), len(guardian_rows),
                      password, client_secret, redirect_uri)


# --- history: server-side INSERT ... SELECT ----------------------------------------------------

#: a random 64-character hex digest for row ``g`` (as the IdP stores SHA-256 digests)
DIGEST = "encode(sha256(('{tag}' || g || ':' || random())::bytea), 'hex')"

HISTORY_SQL = {
    "sso_session": """
        INSERT INTO sso_session (id, cookie_digest, sid, person_id, login_account_id, auth_time,
            amr, acr, created_at, last_seen_at, expires_at, ended_at, user_agent)
        SELECT :base + g, {cookie}, 'h' || md5(g || ':' || random()), a.person_id, a.id, t.at,
            '["pwd"]', 'low', t.at, t.at + interval '10 minutes', t.at + interval '12 hours',
            CASE WHEN g % 5 = 0 THEN NULL ELSE t.at + interval '1 hour' END, 'bench'
        FROM generate_series(1, :rows) g
        JOIN bench_accounts a ON a.n = 1 + (g::bigint * 7919) % :accounts
        CROSS JOIN LATERAL (SELECT :now - (g % :span) * interval '1 second' AS at) t""",
    "session_participant": """
        INSERT INTO session_participant (id, session_id, school_id, account_id, first_at)
        SELECT :base + g, :session_base + g, a.school_id, a.id,
            :now - (g % :span) * interval '1 second'
        FROM generate_series(1, :rows) g
        JOIN bench_accounts a ON a.n = 1 + (g::bigint * 7919) % :accounts""",
    "authorization_code": """
        INSERT INTO authorization_code (id, code_digest, school_id, account_id, session_id,
            redirect_uri, scope, nonce, code_challenge, code_challenge_method, auth_time, amr,
            acr, sid, created_at, expires_at, used_at)
        SELECT :base + g, {code}, a.school_id, a.id, :session_base + g,
            'http://127.0.0.1:8000/callback', 'openid profile email', md5('n' || g || random()),
            md5('c' || g), 'S256', t.at, '["pwd"]', 'low', NULL, t.at,
            t.at + interval '60 seconds', t.at + interval '1 second'
        FROM generate_series(1, :rows) g
        JOIN bench_accounts a ON a.n = 1 + (g::bigint * 7919) % :accounts
        CROSS JOIN LATERAL (SELECT :now - (g % :span) * interval '1 second' AS at) t""",
    "token": """
        INSERT INTO token (id, access_token_digest, refresh_token_digest, school_id, account_id,
            session_id, code_id, family_id, scope, amr, acr, auth_time, issued_at,
            access_expires_at, refresh_expires_at, rotated_at, revoked_at)
        SELECT :base + g, {access}, {refresh}, a.school_id, a.id, :session_base + g,
            :code_base + g, md5('f' || g || random()), 'openid profile email', '["pwd"]', 'low',
            t.at, t.at, t.at + interval '600 seconds', t.at + interval '30 days', NULL,
            CASE WHEN g % 5 = 0 THEN NULL ELSE t.at + interval '1 hour' END
        FROM generate_series(1, :rows) g
        JOIN bench_accounts a ON a.n = 1 + (g::bigint * 7919) % :accounts
        CROSS JOIN LATERAL (SELECT :now - (g % :span) * interval '1 second' AS at) t""",
    "audit_event": """
        INSERT INTO audit_event (id, at, event, school_id, person_id, actor, details)
        SELECT :base + g, :now - (g % :span) * interval '1 second',
            (ARRAY['login', 'session_ended', 'login_failed'])[1 + g % 3], a.school_id,
            a.person_id, NULL, '{{}}'
        FROM generate_series(1, :rows) g
        JOIN bench_accounts a ON a.n = 1 + (g::bigint * 7919) % :accounts""",
    "outbox_message": """
        INSERT INTO outbox_message (id, kind, school_id, target, payload, status, attempts,
            next_attempt_at, last_error, created_at, delivered_at)
        SELECT :base + g, 'backchannel_logout', a.school_id,
            'http://127.0.0.1:8000/oidc/backchannel-logout', '{{"sid": "x"}}', 'delivered', 1,
            t.at, NULL, t.at, t.at + interval '1 second'
        FROM generate_series(1, :rows) g
        JOIN bench_accounts a ON a.n = 1 + (g::bigint * 7919) % :accounts
        CROSS JOIN LATERAL (SELECT :now - (g % :span) * interval '1 second' AS at) t""",
}
HISTORY_TABLES = tuple(HISTORY_SQL)


def load_history(database_url: str, *, rows: int = 1_000_000, days: float = 7.0,
                 now: dt.datetime | None = None, analyze: bool = True) -> dict[str, int]:
    """``rows`` rows of past traffic in each growing table (see the module docstring).

    Sessions, codes and tokens belong together (a code's session, a token's code); every row
    refers to an existing account, chosen evenly across all of them. Nothing is live: codes are
    used, sessions ended or past their absolute limit... except what ``days`` keeps young
    (refresh tokens live 30 days). Returns {table: rows written}.
    """
    engine = _engine(database_url)
    _create_tables(engine)
    now = now or dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TEMPORARY TABLE bench_accounts ON COMMIT DROP AS "
                             "SELECT row_number() OVER (ORDER BY id) AS n, id, school_id, "
                             "person_id FROM account")
        accounts = conn.exec_driver_sql("SELECT count(*) FROM bench_accounts").scalar()
        if not accounts:
            raise SystemExit("no accounts: load a population first (load_population)")
        conn.exec_driver_sql("CREATE UNIQUE INDEX ON bench_accounts (n)")
        conn.exec_driver_sql("ANALYZE bench_accounts")
        bases = _max_ids(conn, HISTORY_TABLES)
        params = {"rows": rows, "accounts": accounts, "now": now,
                  "span": max(1, int(days * 86400)),
                  "session_base": bases["sso_session"], "code_base": bases["authorization_code"]}
        digests = {name: DIGEST.format(tag=name) for name in ("cookie", "code", "access", "refresh")}
        for table, sql in HISTORY_SQL.items():
            conn.execute(sa.text(sql.format(**digests)), {**params, "base": bases[table]})
        _fix_sequences(conn, HISTORY_TABLES)
    if analyze:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in HISTORY_TABLES:
                conn.exec_driver_sql(f'VACUUM ANALYZE "{table}"')
    engine.dispose()
    return {table: rows for table in HISTORY_TABLES}


# --- measuring: fresh, then loaded ----------------------------------------------------------

def _median_ms(fn, rounds: int) -> float:
    return statistics.median(timed_samples(fn, rounds)) * 1000


def _lookups(school_id: int, username: str, email: str) -> dict:
    """The hot-path lookups as the IdP runs them (its own functions), by name."""
    from types import SimpleNamespace

    import flask

    from idp.account.linking import _password_owner
    from idp.account_requests.service import likely_accounts
    from idp.extensions import db
    from idp.login.authenticate import find_candidates
    from idp.models import AccountRequest, SSOSession, Token
    from idp.models.grant import token_digest
    from idp.oauth.oidc import OpenIDCode
    from idp.recovery.matching import matching_accounts
    from idp.roster.plan import Snapshot

    client = SimpleNamespace(client=SimpleNamespace(id=school_id), user=object())
    request = AccountRequest(school_id=school_id, given_name="Mari", family_name="Tamm",
                             email_key=email, isikukood=None, birthdate=dt.date(2010, 5, 5))
    return {
        "login lookup by username": lambda: find_candidates(school_id, username),
        "login lookup by e-mail": lambda: find_candidates(school_id, email),
        # a fresh request each time (the answer is kept for the request)
        "nonce replay check": lambda: (flask.request.environ.pop("idp.nonces_seen", None),
                                       OpenIDCode().exists_nonce("no-such-nonce", client)),
        "token by refresh token": lambda: db.session.scalar(db.select(Token).where(
            Token.refresh_token_digest == token_digest("no-such-token"))),
        "session by cookie": lambda: db.session.scalar(db.select(SSOSession).where(
            SSOSession.cookie_digest == token_digest("no-such-cookie"))),
        "recovery by name": lambda: matching_accounts(school_id, "Mari Tamm"),
        "linking: password owner": lambda: _password_owner(school_id, email, "wrong"),
        "account request: likely accounts": lambda: likely_accounts(request),
        "roster import: the school's accounts": lambda: Snapshot.load(school_id),
    }


def _flows(app, school: dict, username: str, count: int) -> float:
    """Full login flows per second (authorize, login form, authorize, token), one thread."""
    from tests.helpers import login_and_get_tokens

    t0 = time.perf_counter()
    for _ in range(count):
        login_and_get_tokens(app.test_client(), school, username)
    return count / (time.perf_counter() - t0)


def _app(database_url: str):
    import tempfile

    from idp import create_app
    from idp.extensions import db
    from tests.helpers import build_world

    # cheap hashes: the database's share of a login is what is compared here
    app = create_app({"ENV": "testing", "SECRET_KEY": "bench", "ISSUER": "http://idp.bench",
                      "KEYS_AUTO_GENERATE": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 512},
                     instance_path=tempfile.mkdtemp(prefix="idp-bench-population-"))
    with app.app_context():
        db.create_all()
        world = build_world()
        school_id = db.session.scalar(sa.text("SELECT id FROM school WHERE slug = 'alpha'"))
    return app, world, school_id


def compare(fresh: tuple, loaded: tuple, *, rounds: int, flows: int) -> dict:
    """Fresh and loaded measured in turn (the machine's noise falls on both alike): median
    milliseconds of each lookup, and login flows per second (median of five runs each)."""
    from idp.extensions import db

    result: dict[str, dict] = {}
    sides = {"fresh": fresh, "loaded": loaded}
    for side, (app, _world, school_id, username, email) in sides.items():
        with app.app_context(), app.test_request_context():
            for name, fn in _lookups(school_id, username, email).items():
                result.setdefault(name, {})[side] = round(_median_ms(fn, rounds), 3)
                db.session.rollback()
    rates: dict[str, list[float]] = {"fresh": [], "loaded": []}
    for _ in range(5):
        for side, (app, world, *_rest) in sides.items():
            with app.app_context():
                rates[side].append(_flows(app, world.schools["alpha"], "mari", flows))
    result["login flows/s"] = {side: round(statistics.median(r), 1) for side, r in rates.items()}
    for name, values in result.items():
        values["ratio"] = round(values["loaded"] / values["fresh"], 2)
        unit = "/s" if name == "login flows/s" else " ms"
        print(f"   {name:40} fresh {values['fresh']:9}{unit[-3:]:>3}   loaded {values['loaded']:9}"
              f"   loaded/fresh {values['ratio']}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load history and a national population "
                                     "into an empty PostgreSQL database; --measure compares "
                                     "the hot paths with a fresh database beside it.")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=400_000)
    parser.add_argument("--schools", type=int, default=500)
    parser.add_argument("--largest", type=int, default=5_000)
    parser.add_argument("--measure", action="store_true")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--json", help="write the measurements to this file")
    args = parser.parse_args(argv)
    if not args.measure:
        population = load_population(args.database_url, persons=args.persons,
                                     schools=args.schools, largest=args.largest)
        print(f"{population.persons} persons, {population.accounts} accounts, "
              f"{population.guardianships} guardianships at {len(population.schools)} schools")
        print(load_history(args.database_url, rows=args.rows))
        return 0
    base, _, name = args.database_url.rpartition("/")
    fresh_url = f"{base}/{name}_fresh"
    admin = sa.create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_fresh"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}_fresh"')
    try:
        fresh_app, fresh_world, alpha = _app(fresh_url)
        loaded_app, loaded_world, _alpha = _app(args.database_url)
        t0 = time.perf_counter()
        cheap = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash("bench-salasona")
        population = load_population(args.database_url, persons=args.persons,
                                     schools=args.schools, largest=args.largest,
                                     password_hash=cheap)
        t1 = time.perf_counter()
        history = load_history(args.database_url, rows=args.rows)
        t2 = time.perf_counter()
        print(f"population: {population.persons} persons, {population.accounts} accounts in "
              f"{t1 - t0:.0f} s; history: {args.rows} rows in each of {len(history)} tables "
              f"in {t2 - t1:.0f} s")
        _slug, username, email = next(login for login in population.logins if login[2])
        print(f"-- lookups: a fresh school of 3 accounts vs the largest school "
              f"({population.schools[0][2]} accounts) after the load; flows at a small school")
        result = compare((fresh_app, fresh_world, alpha, "mari", "mari@example.ee"),
                         (loaded_app, loaded_world, population.schools[0][0], username, email),
                         rounds=args.rounds, flows=args.flows)
    finally:
        for app in ("fresh_app", "loaded_app"):
            if app in locals():
                from idp.extensions import db
                with locals()[app].app_context():
                    db.engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_fresh" WITH (FORCE)')
        admin.dispose()
    ratio = result["login flows/s"]["ratio"]
    print(f"login flows loaded / fresh: {ratio} (target >= 0.9)")
    if args.json:
        import json
        with open(args.json, "w") as out:
            json.dump({"results": result, "rows": args.rows, "persons": args.persons,
                       "schools": args.schools, "largest": args.largest}, out, indent=2)
    return 0 if ratio >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
