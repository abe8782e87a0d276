"""After an ID-card or Smart-ID login the person may set a password of their own and complete the
profile; a new e-mail address counts only once the link sent to it was opened."""

from __future__ import annotations

import html
import re

import pytest

from idp.extensions import db
from idp.models import Account, OutboxMessage, Person, School
from idp.services import accounts as account_service
from tests.eid_login.conftest import CODES
from tests.eid_login.flows import profile_login_url, smartid_login
from tests.helpers import PASSWORD, csrf_token
from tests.idp._ui import login_at_school

pytestmark = pytest.mark.e2e
MARY = "60001019906"


@pytest.fixture
def newcomer(app, cast, standin):
    """Mary Änn: the school recorded her personal code only (no password, no e-mail); she
    logs in with Smart-ID."""
    with app.app_context():
        alpha = db.session.scalar(db.select(School).where(School.slug == "alpha"))
        account_service.add(alpha, username="mary", given_name="Mary Änn", family_name="Tamm",
                            roles=["parent"], isikukood=MARY)
        db.session.commit()
    client = app.test_client()
    done = smartid_login(client, standin, profile_login_url(client, "alpha"), MARY)
    assert done == {"state": "done", "redirect": "/account/"}
    return client


def form_post(client, url: str, **data):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_profile_invites_to_set_a_password_and_complete_it(newcomer):
    page = html.unescape(newcomer.get("/account/").get_data(as_text=True))
    assert "Logisid sisse ID-kaardi või Smart-ID-ga. Soovi korral määra endale salasõna" in page
    assert '<a href="/account/password">Määra salasõna</a>' in page
    assert '<a href="/account/email">Lisa e-posti aadress</a>' in page


def test_set_a_password_without_the_old_one_after_eid(app, newcomer):
    page = newcomer.get("/account/password").get_data(as_text=True)
    assert "Praegune salasõna" not in page
    done = form_post(newcomer, "/account/password", password="minu uus salasõna",
                     repeat="minu uus salasõna")
    assert done.status_code == 303 and done.location == "/account/"
    assert login_at_school(app.test_client(), "alpha", "mary", "minu uus salasõna").status_code \
        == 303


def test_profile_password_follows_the_one_policy(app, newcomer):
    refused = form_post(newcomer, "/account/password", password="mary1234", repeat="mary1234")
    assert refused.location == "/account/password"
    page = html.unescape(newcomer.get("/account/password").get_data(as_text=True))
    assert "Salasõna ei tohi olla sinu nimi, kasutajanimi ega meiliaadress." in page
    with app.app_context():
        assert db.session.scalar(db.select(Person.password_hash).where(
            Person.isikukood == MARY)) is None


def test_email_counts_when_confirmed(app, newcomer):
    done = form_post(newcomer, "/account/email", email="mary@example.ee")
    assert done.status_code == 303
    with app.app_context():
        account = db.session.scalar(db.select(Account).where(Account.username == "mary"))
        assert account.person.email is None
        (mail,) = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "email"))
        assert mail.target == "mary@example.ee"
        assert mail.payload["subject"] == "Kinnita oma e-posti aadress"
    link = re.search(r"http://idp\.test(\S+)", mail.payload["text"]).group(1)
    assert form_post(newcomer, link).location == "/account/email/confirmed"
    with app.app_context():
        person = db.session.scalar(db.select(Account).where(Account.username == "mary")).person
        assert (person.email, person.email_verified) == ("mary@example.ee", True)


def test_a_newer_link_replaces_the_older_one(app, newcomer):
    form_post(newcomer, "/account/email", email="first@example.ee")
    form_post(newcomer, "/account/email", email="second@example.ee")
    with app.app_context():
        texts = [m.payload["text"] for m in db.session.scalars(
            db.select(OutboxMessage).order_by(OutboxMessage.id))]
    first, second = (re.search(r"http://idp\.test(\S+)", t).group(1) for t in texts)
    assert newcomer.get(first).status_code == 404
    assert newcomer.get(second).status_code == 200


def test_bad_email_address(newcomer):
    response = form_post(newcomer, "/account/email", email="not an address")
    assert response.location == "/account/email"
    assert "Sisesta e-posti aadress, näiteks nimi@example.ee." in \
        newcomer.get("/account/email").get_data(as_text=True)


def test_after_a_password_login_the_current_password_is_asked(app, cast):
    client = app.test_client()
    login_at_school(client, "alpha", "mari")
    assert "Praegune salasõna" in client.get("/account/password").get_data(as_text=True)
    wrong = form_post(client, "/account/password", current="not it", password="uus salasõna 1",
                      repeat="uus salasõna 1")
    assert wrong.location == "/account/password"
    assert "Praegune salasõna on vale." in client.get("/account/password").get_data(as_text=True)
    right = form_post(client, "/account/password", current=PASSWORD, password="uus salasõna 1",
                      repeat="uus salasõna 1")
    assert right.location == "/account/"


def test_a_new_password_ends_the_persons_other_sessions(app, cast, standin):
    elsewhere = app.test_client()
    assert login_at_school(elsewhere, "alpha", "mari").status_code == 303
    here = app.test_client()
    smartid_login(here, standin, profile_login_url(here, "alpha"), CODES["mari"])
    form_post(here, "/account/password", password="uus salasõna 2", repeat="uus salasõna 2")
    assert elsewhere.get("/account/").status_code == 302
    assert here.get("/account/").status_code == 200


def test_pages_need_a_login(client):
    assert client.get("/account/password").status_code == 303
    assert client.get("/account/email").status_code == 303
