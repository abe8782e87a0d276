"""Profile sync end to end over real sockets: a change at the IdP reaches the demo Stuudiums as
a Security Event Token (RFC 8417, pushed per RFC 8935) and shows on their pages without a new
login."""

from __future__ import annotations

import time

import requests

from idp.extensions import db
from idp.models import Account, OutboxMessage, School
from idp.services import accounts as account_service
from tests.e2e.browserless import login_at_school
from tests.e2e.conftest import PASSWORD
from tests.e2e.test_sso_e2e import (
    GYMNASIUM,
    KINDERGARTEN,
    MUSIC,
    link_school,
    logo_links,
)


def eventually(check, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def account(slug: str, username: str) -> Account:
    return db.session.scalar(db.select(Account).join(School).where(
        School.slug == slug, Account.username == username))


def test_a_name_change_shows_at_the_school_without_a_new_login(stack):
    browser = requests.Session()
    school = stack.school(KINDERGARTEN)
    assert "Mari Maasikas" in login_at_school(browser, school, "mari", PASSWORD).text
    with stack.app.app_context():
        account_service.update_account(account(KINDERGARTEN, "mari"), actor="director", via="test",
                                       personal={"family_name": "Mustikas", "phone": "+372 5123 4567"},
                                       roles=["parent", "staff"])
        db.session.commit()
    assert eventually(lambda: "Mari Mustikas" in browser.get(school, timeout=10).text)
    page = browser.get(school, timeout=10).text
    assert "lapsevanem" in page  # the roles came with it
    assert "+372 5123 4567" in page  # and the phone number (scope phone)
    with stack.app.app_context():
        [event] = db.session.scalars(db.select(OutboxMessage).where(
            OutboxMessage.kind == "security_event"))
        assert event.status == "delivered"  # the school answered 202


def logos(browser: requests.Session, school: str) -> dict[str, str]:
    page = browser.get(school, timeout=10).text
    return logo_links(page) if 'class="schools"' in page else {}


def test_linking_adds_the_logo_at_a_school_already_logged_in(stack):
    browser = requests.Session()
    music = stack.school(MUSIC)
    login_at_school(browser, music, "mari", PASSWORD)
    assert "Kesklinna Gümnaasium" not in logos(browser, music)
    link_school(browser, stack.idp.url, GYMNASIUM, "mari")
    # the music school's session was made before the link: the event brings the new logo
    assert eventually(lambda: "Kesklinna Gümnaasium" in logos(browser, music))


def test_a_disabled_account_is_logged_out_at_the_school(stack):
    browser = requests.Session()
    school = stack.school(KINDERGARTEN)
    assert "Mari Maasikas" in login_at_school(browser, school, "mari", PASSWORD).text
    with stack.app.app_context():
        account_service.disable_account(account(KINDERGARTEN, "mari"), actor="director", via="test")
        db.session.commit()
    assert eventually(lambda: "Mari Maasikas" not in browser.get(school, timeout=10).text)
    with stack.app.app_context():  # told twice: a logout token and the "disabled" event
        kinds = set(db.session.scalars(db.select(OutboxMessage.kind).where(
            OutboxMessage.status == "delivered")))
        assert kinds == {"backchannel_logout", "security_event"}
