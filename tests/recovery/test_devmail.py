"""The development mailbox (/dev/mailbox): the file backend's e-mail in a browser, only when
enabled and never in production."""

from __future__ import annotations

import re

import pytest

from tests.helpers import csrf_token

from .support import ask_for_link, deliver_mail, html, path

MAILBOX = {"MAIL_BACKEND": "file", "DEV_MAILBOX_ENABLED": True, "ENV": "development"}


def test_the_mailbox_does_not_exist_unless_enabled(client, world):
    for url in ("/dev/mailbox/", "/dev/mailbox/" + "a" * 32, "/dev/mailbox/" + "a" * 32 + "/html"):
        assert client.get(url).status_code == 404, url
    assert client.post("/dev/mailbox/clear").status_code in (400, 404)


@pytest.mark.parametrize("app_config", [MAILBOX], indirect=True)
def test_never_in_production_whatever_the_setting(app, client, world):
    assert client.get("/dev/mailbox/").status_code == 200
    app.config["ENV"] = "production"
    assert client.get("/dev/mailbox/").status_code == 404


@pytest.mark.parametrize("app_config", [MAILBOX], indirect=True)
def test_the_mailbox_lists_messages_and_shows_them_with_clickable_links(app, client, world):
    assert "Kirju veel pole." in html(client.get("/dev/mailbox/"))
    ask_for_link(client, "alpha", "juhan")
    deliver_mail(app)
    index = html(client.get("/dev/mailbox/"))
    assert "Logi sisse ja vali salasõna: Alfa Kool" in index and "juhan@example.ee" in index
    [name] = re.findall(r'href="/dev/mailbox/([0-9a-f]{32})"', index)
    message = html(client.get(f"/dev/mailbox/{name}"))
    [link] = re.findall(r'<a href="(http://idp\.test/recovery-link/[A-Za-z0-9_-]+)">', message)
    assert client.get(path(link)).status_code == 200  # the link works
    shown = client.get(f"/dev/mailbox/{name}/html")
    assert shown.status_code == 200 and link in html(shown)
    assert shown.headers["Content-Security-Policy"].startswith("sandbox")
    cleared = client.post("/dev/mailbox/clear", data={"csrf_token": csrf_token(index)})
    assert cleared.status_code == 303
    assert "Kirju veel pole." in html(client.get("/dev/mailbox/"))


@pytest.mark.parametrize("app_config", [MAILBOX], indirect=True)
@pytest.mark.parametrize("name", ["..%2F..%2Fetc%2Fpasswd", "a" * 31, "A" * 32, "x.eml"])
def test_only_message_names_are_served(client, world, name):
    assert client.get(f"/dev/mailbox/{name}").status_code == 404
