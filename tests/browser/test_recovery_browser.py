"""The guide's story in a real browser (Debian's Chromium): at the school, "Logi sisse", then
"unustasid salasõna?", enter your name, open the link that arrives by e-mail, choose a
password, and land in the school logged in."""

from __future__ import annotations

import re

import pytest

from idp.delivery.worker import deliver
from idp.extensions import db
from tests.browser.conftest import screenshot
from tests.delivery.smtp import SMTPServer
from tests.e2e.conftest import build_stack

pytestmark = pytest.mark.browser

NEW_PASSWORD = "maasikad ja mustikad"


@pytest.fixture
def smtp_server():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def mail_stack(tmp_path, postgres_base_url, shared_keys_dir, smtp_server):
    """The live stack (IdP and three demo schools over real sockets) with mail going to the
    in-process SMTP server; the test plays the outbox worker, so nothing waits on a timer."""
    stack = build_stack(tmp_path, postgres_base_url, shared_keys_dir, **smtp_server.config())
    yield stack
    for served in [stack.idp, *stack.schools.values()]:
        served.stop()
    with stack.app.app_context():
        db.session.remove()
        db.engine.dispose()


def deliver_mail(stack) -> None:
    with stack.app.app_context():
        deliver(wait_seconds=10)


def test_forgot_password_story_in_estonian(mail_stack, smtp_server, page):
    stack = mail_stack
    school = stack.school("noomuusikakool")
    page.goto(school)
    page.get_by_role("button", name="Logi sisse").click()
    page.wait_for_url(f"{stack.idp.url}/login/**")
    assert page.get_by_text("palu oma meiliaadress ja/või isikukood lisada muusikakooli direktoril.").count() == 1

    page.get_by_role("link", name="Unustasid salasõna?").click()
    page.wait_for_url(f"{stack.idp.url}/recovery/noomuusikakool**")
    assert page.get_by_role("heading", name="Unustasid salasõna?").is_visible()
    screenshot(page, "recovery-start-et")
    page.get_by_label("Sinu nimi").fill("Mari Maasikas")
    page.get_by_role("button", name="Saada mulle link").click()
    assert page.get_by_role("heading", name="Vaata oma meili").is_visible()
    screenshot(page, "recovery-sent-et")

    assert smtp_server.messages == []  # queued in the outbox, not sent while answering
    deliver_mail(stack)
    [mail] = [m for m in smtp_server.messages if m["to"] == ["mari@example.ee"]]
    assert mail["message"]["Subject"] == "Logi sisse ja vali salasõna: Nõo Muusikakool"
    [link] = re.findall(rf"{re.escape(stack.idp.url)}/recovery-link/[A-Za-z0-9_-]+",
                        mail["message"].get_body(("plain",)).get_content())

    page.goto(link)
    assert page.get_by_role("heading", name="Vali salasõna").is_visible()
    assert page.get_by_text("Vali vähemalt 8 märgi pikkune salasõna.").is_visible()
    page.get_by_label("Uus salasõna", exact=True).fill("password1")
    page.get_by_label("Uus salasõna uuesti").fill("password1")
    page.get_by_role("button", name="Salvesta salasõna ja logi sisse").click()
    alert = page.get_by_role("alert")
    assert "See on üks kõige levinumaid salasõnu" in alert.inner_text()
    assert page.get_by_label("Uus salasõna", exact=True).get_attribute("aria-invalid") == "true"
    screenshot(page, "recovery-password-refused-et")

    page.get_by_label("Uus salasõna", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Uus salasõna uuesti").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Salvesta salasõna ja logi sisse").click()
    page.wait_for_url(f"{school}/**")
    assert "Mari Maasikas" in page.content() and "lapsevanem" in page.content()
    screenshot(page, "recovery-landed-in-school-et")

    # the new password is the password from now on
    with stack.app.app_context():
        from idp.login.authenticate import authenticate
        from idp.services import schools as school_service
        assert authenticate(school_service.get("noomuusikakool").id, "mari", NEW_PASSWORD) is not None
