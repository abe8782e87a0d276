"""The outbox: delivery at once, retries with back-off for network errors, 5xx and 429, a 4xx is
final, nothing lost while a receiver is down, operators see and retry failures."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine

from idp.delivery import outbox
from idp.delivery.senders import classify
from idp.delivery.worker import deliver
from idp.extensions import db
from idp.models import OutboxMessage
from tests.e2e.servers import Receiver, bind


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def queue(url: str) -> int:
    message = outbox.enqueue("backchannel_logout", url, {"logout_token": "t"})
    db.session.commit()
    return message.id


@pytest.mark.parametrize(("status", "outcome"), [
    (200, "delivered"), (204, "delivered"), (400, "final"), (401, "final"), (404, "final"),
    (408, "retry"), (429, "retry"), (500, "retry"), (503, "retry"),
], ids=lambda v: str(v))
def test_status_classification(status, outcome):
    assert classify(status) == outcome


def test_delivered_at_once(ctx, receiver):
    message_id = queue(f"{receiver.served.url}/bcl")
    assert deliver([message_id], wait_seconds=5) == 1
    message = db.session.get(OutboxMessage, message_id)
    db.session.refresh(message)
    assert message.status == "delivered" and message.attempts == 1
    assert [r["form"] for r in receiver.received] == [{"logout_token": "t"}]


def test_server_error_is_retried_with_backoff_then_delivered(ctx, receiver):
    receiver.status = 503
    message_id = queue(f"{receiver.served.url}/bcl")
    deliver([message_id], wait_seconds=5)
    message = db.session.get(OutboxMessage, message_id)
    db.session.refresh(message)
    assert message.status == "pending" and message.attempts == 1
    assert "HTTP 503" in message.last_error
    assert deliver(wait_seconds=5) == 0  # not due yet: back-off
    receiver.status = 200
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=10), tick=False):
        assert deliver(wait_seconds=5) == 1
    db.session.refresh(message)
    assert message.status == "delivered" and message.attempts == 2


def test_receiver_down_keeps_the_message_until_it_comes_back(ctx):
    served = bind()
    url = f"{served.url}/bcl"
    served.stop()  # nothing listens there any more
    message_id = queue(url)
    deliver([message_id], wait_seconds=5)
    message = db.session.get(OutboxMessage, message_id)
    db.session.refresh(message)
    assert message.status == "pending"
    assert "ConnectionError" in message.last_error


def test_client_error_is_final(ctx, receiver):
    receiver.status = 400
    message_id = queue(f"{receiver.served.url}/bcl")
    deliver([message_id], wait_seconds=5)
    message = db.session.get(OutboxMessage, message_id)
    db.session.refresh(message)
    assert message.status == "failed" and message.attempts == 1


def test_gives_up_after_the_configured_time(ctx, receiver, app):
    receiver.status = 500
    message_id = queue(f"{receiver.served.url}/bcl")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=app.config["DELIVERY_GIVE_UP_AFTER"] + 1)
    with time_machine.travel(later, tick=False):
        deliver(wait_seconds=5)
    message = db.session.get(OutboxMessage, message_id)
    db.session.refresh(message)
    assert message.status == "failed"


def test_claimed_message_is_not_claimed_twice(ctx, receiver):
    message_id = queue(f"{receiver.served.url}/bcl")
    first = outbox.claim(ids=[message_id])
    assert [m.id for m in first] == [message_id]
    assert outbox.claim() == []  # leased: another worker skips it


def test_operator_lists_and_retries_failed_deliveries(app, ctx, receiver):
    receiver.status = 404
    message_id = queue(f"{receiver.served.url}/bcl")
    deliver([message_id], wait_seconds=5)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["deliveries", "list", "--json"])
    assert listed.exit_code == 0
    rows = json.loads(listed.output)
    assert [(r["id"], r["status"]) for r in rows] == [(message_id, "failed")]
    assert "HTTP 404" in rows[0]["last_error"]
    receiver.status = 200
    assert runner.invoke(args=["deliveries", "retry", str(message_id)]).exit_code == 0
    deliver(wait_seconds=5)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message_id).status == "delivered"
    assert runner.invoke(args=["deliveries", "retry"]).exit_code == 1
    # a delivered message is not sent twice
    again = runner.invoke(args=["deliveries", "retry", str(message_id)])
    assert again.exit_code == 0 and "skipped" in again.output and "0 deliveries" in again.output
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message_id).status == "delivered"
