"""``idp worker`` as operators run it: a separate process that delivers the outbox and stops
cleanly on SIGTERM (a supervisor's stop) as on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from idp.delivery import outbox
from idp.extensions import db
from idp.models import OutboxMessage
from tests.e2e.servers import Receiver

IDP = Path(sys.executable).with_name("idp")


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_the_worker_process_delivers_and_stops_on_sigterm(app, ctx, receiver):
    message = outbox.enqueue("backchannel_logout", f"{receiver.url}/bcl", {"logout_token": "t"})
    db.session.commit()
    env = {**os.environ, "IDP_ENV": "testing", "IDP_SECRET_KEY": app.config["SECRET_KEY"],
           "IDP_ISSUER": app.config["ISSUER"], "IDP_KEYS_DIR": app.config["KEYS_DIR"],
           "IDP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "IDP_INSTANCE_PATH": app.instance_path}
    worker = subprocess.Popen([str(IDP), "worker", "--interval", "0.2"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [r["form"] for r in receiver.received] == [{"logout_token": "t"}]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the delivery is recorded right after the send
            db.session.expire_all()
            if db.session.get(OutboxMessage, message.id).status == "delivered":
                break
            time.sleep(0.1)
        assert db.session.get(OutboxMessage, message.id).status == "delivered"
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, output
    assert "stopping: finishing the sends in flight" in output
