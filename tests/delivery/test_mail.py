"""E-mail through a real SMTP server started in-process (aiosmtpd), and the file mailbox."""

from __future__ import annotations

import pytest

from idp.delivery.mail import queue_email, send_email
from idp.delivery.worker import deliver
from idp.extensions import db
from idp.models import OutboxMessage
from tests.delivery.smtp import SMTPServer, free_port

PAYLOAD = {"subject": "Tere", "text": "Tekst õ ä ö ü", "html": "<p>Tekst</p>", "lang": "et"}


@pytest.fixture(scope="module")
def smtp_server():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def app_config(request, smtp_server):
    return {**smtp_server.config(), **getattr(request, "param", {})}


def test_smtp_delivers_text_and_html(ctx, smtp_server):
    before = len(smtp_server.messages)
    assert send_email("mari@example.ee", PAYLOAD) == ("delivered", None)
    received = smtp_server.messages[before]
    assert received["to"] == ["mari@example.ee"]
    message = received["message"]
    assert message["Subject"] == "Tere"
    assert message["Content-Language"] == "et"
    assert message.get_body(("plain",)).get_content().strip() == "Tekst õ ä ö ü"
    assert message.get_body(("html",)).get_content().strip() == "<p>Tekst</p>"


def test_smtp_down_is_retried_later(app, ctx):
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    outcome, error = send_email("mari@example.ee", PAYLOAD)
    assert outcome == "retry" and "ConnectionRefusedError" in error


def test_queued_mail_goes_through_the_outbox(ctx, smtp_server, monkeypatch):
    before = len(smtp_server.messages)
    monkeypatch.setattr("idp.delivery.mail.compose", lambda template, **kw: dict(PAYLOAD))
    message = queue_email("kati@example.ee", "any")
    db.session.commit()
    deliver([message.id], wait_seconds=10)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "delivered"
    assert smtp_server.messages[before]["to"] == ["kati@example.ee"]


def test_a_delivered_mail_leaves_no_body_behind(ctx, smtp_server, monkeypatch):
    """Set-password and confirmation links must not outlive the message in the database."""
    monkeypatch.setattr("idp.delivery.mail.compose", lambda template, **kw: {
        **PAYLOAD, "text": "Ava http://idp.test/recovery/secret-link", "html": "<a>secret-link</a>"})
    message = queue_email("kati@example.ee", "any")
    db.session.commit()
    deliver([message.id], wait_seconds=10)
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, message.id)
    assert stored.status == "delivered"
    assert stored.payload == {"subject": "Tere", "lang": "et", "body_removed": True}
    assert "secret-link" not in str(stored.payload)


def test_a_mail_that_failed_keeps_its_body_for_the_next_try(app, ctx, monkeypatch):
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    monkeypatch.setattr("idp.delivery.mail.compose", lambda template, **kw: dict(PAYLOAD))
    message = queue_email("kati@example.ee", "any")
    db.session.commit()
    deliver([message.id], wait_seconds=10)
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, message.id)
    assert stored.status == "pending" and stored.payload == PAYLOAD


@pytest.mark.parametrize("app_config", [{"MAIL_BACKEND": "file"}], indirect=True)
def test_file_mailbox_for_development(app, ctx):
    from pathlib import Path
    assert send_email("mari@example.ee", PAYLOAD) == ("delivered", None)
    files = list((Path(app.instance_path) / "mailbox").glob("*.eml"))
    assert len(files) == 1 and b"Subject: Tere" in files[0].read_bytes()
