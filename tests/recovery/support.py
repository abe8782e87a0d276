"""Helpers for the recovery and account-request tests: forms, the outbox, received mail."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from idp.delivery.worker import deliver
from idp.extensions import db
from idp.models import OutboxMessage
from tests.helpers import csrf_token

ISSUER = "http://idp.test"
RECOVERY_LINK = re.compile(r"http://idp\.test/recovery-link/[A-Za-z0-9_-]+")
CONFIRM_LINK = re.compile(r"http://idp\.test/account-request-confirm/[A-Za-z0-9_-]+")


def html(response) -> str:
    return response.get_data(as_text=True)


def normalise(page: str) -> str:
    """A page without its per-request part (the CSRF token)."""
    page = re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "CSRF", page)
    return re.sub(r'name="csrf_token" value="[^"]*"', "CSRF", page)


def ask_for_link(client, slug: str, name: str, **headers):
    """Open "unustasid salasõna?" at ``slug``, type ``name``, send; returns the POST response."""
    url = f"/recovery/{slug}"
    page = client.get(url, headers=headers)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_token(html(page)), "name": name},
                       headers=headers)


def pending_mail(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(db.select(OutboxMessage).where(
            OutboxMessage.kind == "email", OutboxMessage.status == "pending")))


def deliver_mail(app) -> int:
    """What the worker does: deliver everything due (waits until it is sent)."""
    with app.app_context():
        ids = [m.id for m in pending_mail(app)]
        return deliver(ids, wait_seconds=10) if ids else 0


def received(smtp_server, to: str, since: int = 0) -> list:
    return [m for m in smtp_server.messages[since:] if to in m["to"]]


def text_of(item) -> str:
    return item["message"].get_body(("plain",)).get_content()


def html_of(item) -> str:
    return item["message"].get_body(("html",)).get_content()


def links_in(item, pattern=RECOVERY_LINK) -> list[str]:
    return pattern.findall(text_of(item))


def path(url: str) -> str:
    return urlsplit(url).path


def set_password(client, link: str, password: str, repeat: str | None = None):
    """Open a mailed link, choose ``password``; returns the POST response."""
    page = client.get(path(link))
    assert page.status_code == 200, (page.status_code, html(page)[:500])
    return client.post(path(link), data={"csrf_token": csrf_token(html(page)), "password": password,
                                         "repeat": password if repeat is None else repeat})
