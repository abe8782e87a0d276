"""Purge (issue 9: flat cost): each kind of row goes only when it is due, in bounded batches,
and the properties that kept rows protect (refresh-token replay detection) survive it."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
import sqlalchemy as sa

from idp.delivery import worker
from idp.extensions import db
from idp.models import (
    AccountRequest,
    AuditEvent,
    AuthorizationCode,
    EidVerifiedIdentity,
    LoginThrottle,
    OutboxMessage,
    RecoveryToken,
    SessionParticipant,
    SSOSession,
    Token,
    WebEidChallenge,
)
from idp.models._types import utcnow
from idp.purge import purge
from tests.idp._protocol import assert_oauth_error, code_for, log_in, refresh, userinfo

GRACE = dt.timedelta(hours=1)  # PURGE_GRACE's default
SOON = dt.timedelta(minutes=5)


def later(delta: dt.timedelta) -> dt.datetime:
    return utcnow() + delta


def rows(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_fresh_login_leaves_nothing_due(app, client, world):
    log_in(client, world.schools["alpha"], "mari")
    with app.app_context():
        report = purge()
        assert report.total == 0 and report.complete
        assert rows(Token) == rows(AuthorizationCode) == rows(SSOSession) == 1


def test_an_unused_code_goes_grace_after_it_expired(app, client, world):
    code_for(client, world.schools["alpha"], "mari")
    lifetime = dt.timedelta(seconds=app.config["AUTHORIZATION_CODE_LIFETIME"])
    with app.app_context():
        assert purge(now=later(lifetime + GRACE - SOON)).counts["authorization_code"] == 0
        assert purge(now=later(lifetime + GRACE + SOON)).counts["authorization_code"] == 1
        assert rows(AuthorizationCode) == 0


def test_RFC9700_4_14_2_a_rotated_refresh_token_stays_while_its_family_lives(app, client, world):
    """Replay detection survives the purge: the rotated token is still known, so presenting it
    again revokes its live descendant."""
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari")
    newest = refresh(client, school, tokens["refresh_token"]).get_json()
    with app.app_context():
        report = purge(now=later(GRACE + SOON))  # the first access token and the rotation are old
        assert report.counts["token"] == 0 and report.counts["authorization_code"] == 0
    assert_oauth_error(refresh(client, school, tokens["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(refresh(client, school, newest["refresh_token"]), 400, "invalid_grant")


def test_a_token_family_goes_when_its_session_has_expired(app, client, world):
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari")
    refresh(client, school, tokens["refresh_token"])
    session_end = dt.timedelta(seconds=app.config["SESSION_ABSOLUTE_TIMEOUT"])
    with app.app_context():
        assert purge(now=later(session_end + GRACE - SOON)).total == 0
        report = purge(now=later(session_end + GRACE + SOON))
        assert (report.counts["token"], report.counts["authorization_code"],
                report.counts["sso_session"], report.counts["session_participant"]) == (2, 1, 1, 1)
        assert rows(Token) == rows(AuthorizationCode) == rows(SSOSession) == rows(SessionParticipant) == 0


def test_an_ended_session_goes_with_its_tokens_after_the_grace(app, client, world):
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari")
    assert client.get("/logout", query_string={"id_token_hint": tokens["id_token"]}).status_code == 200
    with app.app_context():
        assert purge(now=later(GRACE - SOON)).total == 0
        report = purge(now=later(GRACE + SOON))
        assert report.counts["sso_session"] == 1 and report.counts["token"] == 1


def test_a_live_session_and_its_refresh_tokens_stay(app, client, world):
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari")
    with app.app_context():
        # the access token is long expired, the refresh token and the session are not
        assert purge(now=later(GRACE * 3)).total == 0
    assert refresh(client, school, tokens["refresh_token"]).status_code == 200


def add_outbox(status: str, *, created: dt.datetime, delivered: dt.datetime | None = None):
    db.session.add(OutboxMessage(kind="email", target="x@example.ee", payload={}, status=status,
                                 created_at=created, next_attempt_at=created, delivered_at=delivered))


@pytest.mark.parametrize("app_config", [{"OUTBOX_FAILED_RETENTION_DAYS": 30}], indirect=True)
def test_outbox_delivered_after_grace_failed_after_retention_pending_never(app, ctx):
    old = utcnow() - dt.timedelta(days=31)
    add_outbox("delivered", created=old, delivered=utcnow() - GRACE - SOON)
    add_outbox("delivered", created=old, delivered=utcnow() - GRACE + SOON)
    add_outbox("failed", created=old)
    add_outbox("failed", created=utcnow() - dt.timedelta(days=29))
    add_outbox("pending", created=old)
    db.session.commit()
    assert purge().counts["outbox_message"] == 2
    assert sorted(db.session.scalars(sa.select(OutboxMessage.status))) == ["delivered", "failed", "pending"]


def test_stale_login_throttle_rows_go_locked_and_recent_ones_stay(app, ctx):
    now = utcnow()
    forget = dt.timedelta(seconds=app.config["LOGIN_FORGET_AFTER"])
    db.session.add_all([
        LoginThrottle(key="stale", failures=3, last_failure_at=now - forget - SOON),
        LoginThrottle(key="recent", failures=3, last_failure_at=now - SOON),
        LoginThrottle(key="locked", failures=30, last_failure_at=now - forget - SOON,
                      locked_until=now + SOON),
    ])
    db.session.commit()
    assert purge().counts["login_throttle"] == 1
    assert sorted(db.session.scalars(sa.select(LoginThrottle.key))) == ["locked", "recent"]


def test_expired_recovery_request_and_eid_rows_go(app, ctx, world):
    from idp.models import Account

    now = utcnow()
    account = db.session.scalar(sa.select(Account).limit(1))
    past, future = now - GRACE - SOON, now + SOON
    for n, expires in enumerate((past, future)):
        db.session.add(RecoveryToken(digest=f"{n}" * 64, account_id=account.id, email="m@x.ee",
                                     created_at=now - dt.timedelta(days=1), expires_at=expires))
        db.session.add(AccountRequest(school_id=account.school_id, given_name="A", family_name="B",
                                      email=f"{n}@x.ee", email_key=f"{n}@x.ee", role="parent",
                                      confirm_expires_at=expires))
        db.session.add(WebEidChallenge(binding=f"b{n}", nonce="n", expires_at=expires))
        db.session.add(EidVerifiedIdentity(token=f"t{n}", school_id=account.school_id,
                                           isikukood="38001010008", given_name="A", family_name="B",
                                           method="idcard", expires_at=expires))
    db.session.add(AccountRequest(school_id=account.school_id, given_name="A", family_name="B",
                                  email="d@x.ee", email_key="d@x.ee", role="parent", status="pending",
                                  confirm_expires_at=past))  # confirmed: the director decides
    db.session.commit()
    counts = purge().counts
    assert (counts["recovery_token"], counts["account_request"], counts["webeid_challenge"],
            counts["eid_verified_identity"]) == (1, 1, 1, 1)
    assert rows(AccountRequest) == 2


@pytest.mark.parametrize("app_config", [{"AUDIT_RETENTION_DAYS": 10}, {"AUDIT_RETENTION_DAYS": None},
                                        {"AUDIT_RETENTION_DAYS": 0}], indirect=True, ids=str)
def test_audit_retention_is_configurable_and_none_or_0_keeps_forever(app, ctx, app_config):
    db.session.add_all([AuditEvent(event="old", at=utcnow() - dt.timedelta(days=11)),
                        AuditEvent(event="new", at=utcnow() - dt.timedelta(days=9))])
    db.session.commit()
    expected = 1 if app_config["AUDIT_RETENTION_DAYS"] else 0
    assert purge().counts["audit_event"] == expected


@pytest.mark.parametrize("app_config", [{"AUDIT_RETENTION_DAYS": 1}], indirect=True)
def test_batches_are_bounded(app, ctx):
    db.session.add_all([AuditEvent(event="old", at=utcnow() - dt.timedelta(days=2)) for _ in range(25)])
    db.session.commit()
    deletes: list[int] = []

    def count_deletes(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("DELETE FROM AUDIT_EVENT"):
            deletes.append(len(parameters))  # one bound value per key: the batch's size

    sa.event.listen(db.engine, "after_cursor_execute", count_deletes)
    try:
        report = purge(batch_size=10)
    finally:
        sa.event.remove(db.engine, "after_cursor_execute", count_deletes)
    assert deletes == [10, 10, 5] and report.counts["audit_event"] == 25


@pytest.mark.parametrize("app_config", [{"AUDIT_RETENTION_DAYS": 1}], indirect=True)
def test_an_exhausted_time_budget_stops_between_batches(app, ctx):
    db.session.add(AuditEvent(event="old", at=utcnow() - dt.timedelta(days=2)))
    db.session.commit()
    report = purge(time_budget=0)
    assert not report.complete and report.total == 0 and rows(AuditEvent) == 1
    assert purge().complete and rows(AuditEvent) == 0


def test_dry_run_counts_what_is_due_and_changes_nothing(app, client, world):
    school = world.schools["alpha"]
    tokens = log_in(client, school, "mari")
    refresh(client, school, tokens["refresh_token"])
    code_for(client, school, "mari")  # an unused code too
    when = later(dt.timedelta(seconds=app.config["SESSION_ABSOLUTE_TIMEOUT"]) + GRACE + SOON)
    with app.app_context():
        before = {m: rows(m) for m in (Token, AuthorizationCode, SSOSession, SessionParticipant)}
        dry = purge(dry_run=True, now=when)
        assert dry.dry_run and {m: rows(m) for m in before} == before
        real = purge(now=when)
        assert dry.counts == real.counts and real.counts["authorization_code"] == 2


def test_the_worker_purges_every_interval(app, ctx, monkeypatch):
    db.session.add(WebEidChallenge(binding="b", nonce="n", expires_at=utcnow() - GRACE - SOON))
    db.session.commit()
    stop = threading.Event()

    def one_round(**kw):
        stop.set()  # the round's delivery step ends the loop
        return 0

    monkeypatch.setattr(worker, "deliver", one_round)
    worker.run_worker(app, interval=0, stop=stop)
    assert rows(WebEidChallenge) == 0


@pytest.mark.parametrize("app_config", [{"PURGE_INTERVAL": 0}], indirect=True)
def test_purge_interval_0_leaves_purging_to_the_command(app, ctx, monkeypatch):
    db.session.add(WebEidChallenge(binding="b", nonce="n", expires_at=utcnow() - GRACE - SOON))
    db.session.commit()
    stop = threading.Event()
    monkeypatch.setattr(worker, "deliver", lambda **kw: stop.set() or 0)
    worker.run_worker(app, interval=0, stop=stop)
    assert rows(WebEidChallenge) == 1


def test_cli_prints_counts_per_table_and_dry_run_deletes_nothing(app, ctx):
    db.session.add(WebEidChallenge(binding="b", nonce="n", expires_at=utcnow() - GRACE - SOON))
    db.session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "webeid_challenge" in dry.output and "dry run" in dry.output and rows(WebEidChallenge) == 1
    real = runner.invoke(args=["purge", "--time-budget", "30"])
    assert real.exit_code == 0, real.output
    line = next(x for x in real.output.splitlines() if x.startswith("webeid_challenge"))
    assert line.split() == ["webeid_challenge", "1"] and rows(WebEidChallenge) == 0
    assert runner.invoke(args=["purge", "--time-budget", "0"]).exit_code == 2  # usage error


@pytest.mark.parametrize("setting", [{"PURGE_BATCH_SIZE": 0}, {"PURGE_TIME_BUDGET": -1},
                                     {"AUDIT_RETENTION_DAYS": "forever"}, {"PURGE_GRACE": -5}], ids=str)
def test_bad_purge_settings_refuse_to_start(setting):
    from idp.config import ConfigError, DefaultConfig, validate_config

    defaults = {key: getattr(DefaultConfig, key) for key in dir(DefaultConfig) if key.isupper()}
    validate_config({**defaults, "ENV": "testing"})
    with pytest.raises(ConfigError, match=next(iter(setting))):
        validate_config({**defaults, "ENV": "testing", **setting})


@pytest.mark.skipif(not os.environ.get("IDP_TEST_DATABASE_URL"), reason="PostgreSQL row locks")
@pytest.mark.parametrize("app_config", [{
    "AUDIT_RETENTION_DAYS": 1,
    # without SKIP LOCKED the purge would wait for the other worker: fail instead of hanging
    "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c lock_timeout=5000"}},
}], indirect=True)
def test_postgres_two_workers_never_wait_on_each_other(app, ctx):
    db.session.add_all([AuditEvent(event="old", at=utcnow() - dt.timedelta(days=2)) for _ in range(6)])
    db.session.commit()
    other = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with other.connect() as conn, conn.begin():
            locked = conn.execute(sa.text(
                "SELECT id FROM audit_event ORDER BY id LIMIT 2 FOR UPDATE")).scalars().all()
            report = purge(batch_size=2)
            assert report.complete and report.counts["audit_event"] == 4
        assert sorted(db.session.scalars(sa.select(AuditEvent.id))) == sorted(locked)
        assert purge().counts["audit_event"] == 2
    finally:
        other.dispose()


def test_userinfo_still_answers_for_a_live_token_after_a_purge(app, client, world):
    tokens = log_in(client, world.schools["alpha"], "mari")
    with app.app_context():
        purge(now=later(SOON))
    assert userinfo(client, tokens["access_token"]).status_code == 200
