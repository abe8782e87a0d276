"""Data a node has after months of service, loaded fast with server-side SQL (PostgreSQL):

- ``load_population``: a national population (400,000 persons at 500 schools, the benchmark's
  school the largest with 5,000 accounts; one account per person, each with an e-mail address);
- ``load_history``: ``rows`` rows into each table that grows with use (authorization codes,
  tokens, SSO sessions, audit events, delivered outbox messages), all at the benchmark's school
  and its accounts (the worst case for that school's lookups), expired or used long ago.

Both end with ``ANALYZE``, as autovacuum would after a load of this size.
"""

from __future__ import annotations

import sqlalchemy as sa

PAST = "now() - interval '30 days' - (g * interval '1 second')"


def _engine(database_url: str) -> sa.Engine:
    return sa.create_engine(database_url)


def load_population(database_url: str, school_slug: str, *, persons: int = 400_000, schools: int = 500,
                    largest: int = 5_000) -> dict:
    """Add ``schools - 1`` schools and ``persons`` persons with one account each: ``largest`` at
    ``school_slug``, the rest spread evenly over the others."""
    from .ours import add_schools

    add_schools(database_url, schools - 1)
    engine = _engine(database_url)
    with engine.begin() as conn:
        bench_id = conn.scalar(sa.text("SELECT id FROM school WHERE slug = :s"), {"s": school_slug})
        others = conn.scalars(sa.text("SELECT id FROM school WHERE slug <> :s ORDER BY id"),
                              {"s": school_slug}).all()
        first = conn.scalar(sa.text("SELECT coalesce(max(id), 0) FROM person")) + 1
        conn.execute(sa.text(f"""
            INSERT INTO person (id, given_name, family_name, email, email_verified, version,
                                created_at, updated_at)
            SELECT :first + g, 'Eesnimi' || g, 'Perenimi' || (g % 5000), 'isik' || g || '@example.ee',
                   true, 1, {PAST}, {PAST}
            FROM generate_series(0, :n - 1) AS g"""), {"first": first, "n": persons})
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT max(id) FROM person))"))
        # persons first..first+largest-1 at the benchmark's school, the others round-robin
        conn.execute(sa.text(f"""
            INSERT INTO account (school_id, person_id, sub, username, roles, status, created_at,
                                 profile_version)
            SELECT CASE WHEN g < :largest THEN :bench
                        ELSE (:others)[1 + (g - :largest) % cardinality(:others)] END,
                   :first + g, md5('sub' || (:first + g)) || md5('bus' || (:first + g)),
                   'kasutaja' || g, '["student"]', 'active', {PAST}, 0
            FROM generate_series(0, :n - 1) AS g"""),
            {"first": first, "n": persons, "largest": largest, "bench": bench_id, "others": list(others)})
    analyze(engine)
    engine.dispose()
    return {"persons": persons, "schools": schools, "largest_school_accounts": largest}


def load_history(database_url: str, school_slug: str, rows: int = 1_000_000) -> dict:
    engine = _engine(database_url)
    with engine.begin() as conn:
        school_id = conn.scalar(sa.text("SELECT id FROM school WHERE slug = :s"), {"s": school_slug})
        account = conn.execute(sa.text(
            "SELECT id, person_id FROM account WHERE school_id = :s ORDER BY id LIMIT 1"),
            {"s": school_id}).one()
        params = {"n": rows, "school": school_id, "account": account.id, "person": account.person_id}
        conn.execute(sa.text(f"""
            INSERT INTO sso_session (cookie_digest, sid, person_id, login_account_id, auth_time, amr,
                                     acr, created_at, last_seen_at, expires_at, ended_at)
            SELECT md5('c' || g) || md5('k' || g), md5('sid' || g), :person, :account, {PAST}, '["pwd"]',
                   'low', {PAST}, {PAST}, {PAST}, {PAST}
            FROM generate_series(1, :n) AS g"""), params)
        conn.execute(sa.text(f"""
            INSERT INTO authorization_code (code_digest, school_id, account_id, redirect_uri, scope,
                   nonce, code_challenge, code_challenge_method, auth_time, amr, created_at,
                   expires_at, used_at)
            SELECT md5('code' || g) || md5('edoc' || g), :school, :account, 'https://bench.school.test/cb',
                   'openid profile email', md5('nonce' || g), md5('pkce' || g), 'S256', {PAST},
                   '["pwd"]', {PAST}, {PAST}, {PAST}
            FROM generate_series(1, :n) AS g"""), params)
        conn.execute(sa.text(f"""
            INSERT INTO token (access_token_digest, refresh_token_digest, school_id, account_id,
                   family_id, scope, amr, auth_time, issued_at, access_expires_at,
                   refresh_expires_at, rotated_at)
            SELECT md5('at' || g) || md5('ta' || g), md5('rt' || g) || md5('tr' || g), :school, :account,
                   md5('family' || (g / 10)), 'openid profile email', '["pwd"]', {PAST}, {PAST},
                   {PAST}, {PAST}, {PAST}
            FROM generate_series(1, :n) AS g"""), params)
        conn.execute(sa.text(f"""
            INSERT INTO audit_event (at, event, school_id, person_id, actor, details)
            SELECT {PAST}, 'login', :school, :person, 'bench', '{{}}'
            FROM generate_series(1, :n) AS g"""), params)
        conn.execute(sa.text(f"""
            INSERT INTO outbox_message (kind, school_id, target, payload, status, attempts,
                   next_attempt_at, created_at, delivered_at)
            SELECT 'event', :school, 'https://bench.school.test/events', '{{}}', 'delivered', 1,
                   {PAST}, {PAST}, {PAST}
            FROM generate_series(1, :n) AS g"""), params)
    analyze(engine)
    engine.dispose()
    return {"rows_per_table": rows, "tables": ["sso_session", "authorization_code", "token",
                                               "audit_event", "outbox_message"]}


def analyze(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
