"""X-Request-ID: kept when safe, made otherwise, returned, in the log lines, carried into the
delivery worker through the outbox row."""

from __future__ import annotations

import logging
import re

import pytest

from idp.delivery import outbox
from idp.delivery.worker import deliver
from idp.extensions import db
from idp.ops import requestid

GENERATED = re.compile(r"[0-9a-f]{16}")


def test_a_request_gets_an_id_in_the_response(client):
    response = client.get("/.well-known/openid-configuration")
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])
    other = client.get("/.well-known/openid-configuration").headers["X-Request-ID"]
    assert other != response.headers["X-Request-ID"]


@pytest.mark.parametrize("incoming", ["0f8fad5b-d9cb-469f-a165-70867728950e", "lb.1234:abcd_EF",
                                      "a" * 64])
def test_a_safe_incoming_id_is_kept(client, incoming):
    response = client.get("/jwks.json", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming


@pytest.mark.parametrize("incoming", ["short", "a" * 65, "abc def ghi", "x\u00e4" * 5,
                                      "tab1234\tFAKE log line", "-starts-with-dash",
                                      "<script>alert(1)</script>"])
def test_an_unsafe_incoming_id_is_replaced(client, incoming):
    response = client.get("/jwks.json", headers={"X-Request-ID": incoming})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_the_request_log_line_carries_the_id_and_no_path_values(client, caplog):
    caplog.set_level(logging.INFO, logger="idp.requests")
    response = client.get("/login/some-interaction-id", headers={"X-Request-ID": "req-12345678"})
    assert response.headers["X-Request-ID"] == "req-12345678"
    [record] = [r for r in caplog.records if r.name == "idp.requests"]
    assert record.request_id == "req-12345678"
    assert record.route == "/login/<iid>" and record.endpoint == "login.form"
    assert record.status == response.status_code
    assert "some-interaction-id" not in record.getMessage()


def test_the_worker_logs_the_id_of_the_request_that_queued_the_message(app, world, caplog):
    caplog.set_level(logging.INFO, logger="idp.delivery.worker")
    with app.app_context():
        token = requestid.bind("req-abcdef12")
        try:
            message = outbox.enqueue("backchannel_logout", "http://127.0.0.1:9/logout",
                                     {"sub": "x", "sid": "y"}, school_id=None)
        finally:
            requestid.unbind(token)
        db.session.commit()
        assert message.request_id == "req-abcdef12"
        deliver([message.id], wait_seconds=10)
    [record] = [r for r in caplog.records if r.name == "idp.delivery.worker"]
    assert record.request_id == "req-abcdef12"
    assert record.outbox_id == message.id and record.outcome == "final"
    assert requestid.current() is None


def test_a_message_queued_by_a_request_remembers_it(app, client, world):
    """Logging out at the profile page queues back-channel logout tokens for the schools."""
    from idp.models import OutboxMessage
    from tests.idp._protocol import log_in

    with app.app_context():
        from idp.models import School
        school = db.session.scalar(db.select(School).where(School.slug == "alpha"))
        school.backchannel_logout_uri = "http://127.0.0.1:9/bcl"
        db.session.commit()
    log_in(client, world.schools["alpha"], "mari")
    from tests.idp._protocol import logout_from_profile
    logout_from_profile(client)
    with app.app_context():
        rows = list(db.session.scalars(db.select(OutboxMessage)))
    assert rows and all(row.request_id and GENERATED.fullmatch(row.request_id) for row in rows)
