""""Minu lapsed": a guardian adds the child's e-mail (confirmed by a link sent to it) and sets the
child's password (the child's other sessions end, the child is told by e-mail); the children of
every linked school are listed. Nobody else can do either, however the child is named."""

from __future__ import annotations

import html
import re

import pytest

from idp.delivery.worker import deliver
from idp.extensions import db
from idp.models import (
    Account,
    AuditEvent,
    EmailConfirmation,
    Guardianship,
    OutboxMessage,
    Person,
)
from idp.services import accounts as account_service
from tests.delivery.smtp import SMTPServer
from tests.eid_login.conftest import CODES
from tests.eid_login.flows import profile_login_url, smartid_login
from tests.helpers import PASSWORD, csrf_token
from tests.idp._ui import login_at_school

pytestmark = pytest.mark.e2e
NEW_PASSWORD = "lapse uus salasõna"


@pytest.fixture
def mari(app, cast, standin):
    """A browser where Mari (a parent at alpha, beta and the kindergarten gamma, all linked)
    logged in with Smart-ID."""
    client = app.test_client()
    smartid_login(client, standin, profile_login_url(client, "alpha"), CODES["mari"])
    return client


def person_of(app, cast, key: str) -> Person:
    with app.app_context():
        person = db.session.get(Account, cast.ids[key]).person
        db.session.expunge(person)
        return person


def outbox(app, template_subject: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(db.select(OutboxMessage).where(
            OutboxMessage.kind == "email").order_by(OutboxMessage.id)))
        db.session.expunge_all()
    return [r for r in rows if template_subject is None or template_subject in r.payload["subject"]]


def post(client, url: str, page: str, **data):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def error_on(page: str) -> str:
    return html.unescape(re.search(r'<p class="error" role="alert"[^>]*>([^<]+)</p>', page).group(1))


def test_guardian_sees_the_children_of_all_linked_schools(mari, cast):
    profile = html.unescape(mari.get("/account/").get_data(as_text=True))
    assert "Minu lapsed" in profile
    for key, name in (("alpha/kati", "Kati Maasikas"), ("beta/laur", "Laur Maasikas"),
                      ("gamma/toomas", "Toomas Maasikas")):
        assert f'<a href="/account/children/{cast.ids[key]}">{name}</a>' in profile
    assert "Lasteaed Gamma" in profile
    assert "Mia Puu" not in profile  # another family's child


def test_child_email_is_confirmed_by_a_link_sent_to_it(app, mari, cast):
    kati = cast.ids["alpha/kati"]
    page = f"/account/children/{kati}"
    before = person_of(app, cast, "alpha/kati").email
    response = post(mari, f"{page}/email", page, email="kati.maasikas@example.ee")
    assert response.status_code == 303 and response.location == page
    assert person_of(app, cast, "alpha/kati").email == before  # not until it is confirmed
    (mail,) = outbox(app, "Kinnita isiku Kati Maasikas e-posti aadress")
    assert mail.target == "kati.maasikas@example.ee"
    text = mail.payload["text"]
    assert "Mari Maasikas lisas selle aadressi isiku Kati Maasikas profiili koolis Alfa Kool" in text
    link = re.search(r"http://idp\.test(/account/email/confirm/\S+)", text).group(1)
    shown = app.test_client().get(link)  # a mail scanner opening the link changes nothing
    assert shown.status_code == 200 and person_of(app, cast, "alpha/kati").email == before
    child = app.test_client()  # the child, not logged in
    confirmed = post(child, link, link)
    assert confirmed.status_code == 303
    person = person_of(app, cast, "alpha/kati")
    assert (person.email, person.email_verified) == ("kati.maasikas@example.ee", True)
    assert child.get(link).status_code == 404  # used
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.actor).where(
            AuditEvent.event == "child_email_requested")) == "mari"


def test_child_password_ends_the_childs_sessions_and_tells_the_child(app, mari, cast):
    kati_browser = app.test_client()
    assert login_at_school(kati_browser, "alpha", "kati", PASSWORD + "!").status_code == 303
    with app.app_context():  # the child has a confirmed address
        person = db.session.get(Account, cast.ids["alpha/kati"]).person
        person.email, person.email_verified = "kati@example.ee", True
        db.session.commit()
    page = f"/account/children/{cast.ids['alpha/kati']}"
    done = post(mari, f"{page}/password", page, password=NEW_PASSWORD, repeat=NEW_PASSWORD)
    assert done.status_code == 303
    assert "Salasõna on määratud. Anna see lapsele (Kati) teada" in mari.get(page).get_data(as_text=True)
    assert kati_browser.get("/account/").status_code == 302  # logged out
    assert login_at_school(app.test_client(), "alpha", "kati", NEW_PASSWORD).status_code == 303
    (mail,) = outbox(app, "määras sulle salasõna")
    assert mail.target == "kati@example.ee" and "Mari Maasikas" in mail.payload["text"]
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(
            AuditEvent.event == "child_password_set"))
        assert (event.actor, event.details["student"]) == ("mari", "kati")


def test_child_without_a_confirmed_address_gets_no_mail(app, mari, cast):
    page = f"/account/children/{cast.ids['beta/laur']}"
    assert post(mari, f"{page}/password", page, password=NEW_PASSWORD,
                repeat=NEW_PASSWORD).status_code == 303
    assert outbox(app) == []
    assert person_of(app, cast, "beta/laur").password_hash


@pytest.mark.parametrize(("password", "repeat", "message"), [
    ("short", "short", "Salasõnas peab olema vähemalt 8 märki."),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "Kaks salasõna ei ole ühesugused."),
    ("password123", "password123", "See on üks kõige levinumaid salasõnu, mida ära arvata "
     "proovitakse kõigepealt. Palun vali mõni muu."),
    ("kati2024!!", "kati2024!!", "Salasõna ei tohi olla lapse nimi, kasutajanimi ega "
     "meiliaadress."),
    ("Maasikas Kati", "Maasikas Kati", "Salasõna ei tohi olla lapse nimi, kasutajanimi ega "
     "meiliaadress."),
], ids=["too-short", "not-the-same", "common", "childs-username", "childs-name"])
def test_child_password_must_be_good(app, mari, cast, password, repeat, message):
    page = f"/account/children/{cast.ids['alpha/kati']}"
    assert post(mari, f"{page}/password", page, password=password, repeat=repeat).location == page
    assert error_on(mari.get(page).get_data(as_text=True)) == message
    assert login_at_school(app.test_client(), "alpha", "kati", PASSWORD + "!").status_code == 303


def test_mail_reaches_the_child_over_smtp(app, mari, cast):
    with SMTPServer() as smtp:
        app.config.update(smtp.config())
        page = f"/account/children/{cast.ids['gamma/toomas']}"
        post(mari, f"{page}/email", page, email="toomas@example.ee")
        (mail,) = outbox(app)
        with app.app_context():
            deliver([mail.id], wait_seconds=10)
        assert smtp.messages[-1]["to"] == ["toomas@example.ee"]
        assert "/account/email/confirm/" in smtp.text_of()


# --- nobody but the guardian ------------------------------------------------------------------

def attempts(cast, key: str) -> list[tuple[str, str, dict]]:
    """(method, url, form) of every action on the child ``key``."""
    page = f"/account/children/{cast.ids[key]}"
    return [("GET", page, {}), ("POST", f"{page}/email", {"email": "x@example.ee"}),
            ("POST", f"{page}/password", {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})]


def assert_nothing_changed(app, cast, key: str, before: Person) -> None:
    after = person_of(app, cast, key)
    assert (after.password_hash, after.email) == (before.password_hash, before.email)
    with app.app_context():
        assert db.session.scalar(db.select(EmailConfirmation.id)) is None
    assert outbox(app) == []


def try_all(client, cast, key: str) -> list[int]:
    token = csrf_token(client.get("/account/email").get_data(as_text=True))
    statuses = []
    for method, url, data in attempts(cast, key):
        response = client.get(url) if method == "GET" else \
            client.post(url, data={"csrf_token": token, **data})
        statuses.append(response.status_code)
    return statuses


def test_another_familys_child_by_id_in_the_url(app, mari, cast):
    before = person_of(app, cast, "alpha/mia")
    assert try_all(mari, cast, "alpha/mia") == [404, 404, 404]
    assert_nothing_changed(app, cast, "alpha/mia", before)


def test_another_childs_id_in_a_form_field_is_ignored(app, mari, cast):
    page = f"/account/children/{cast.ids['alpha/kati']}"
    mia_before = person_of(app, cast, "alpha/mia")
    post(mari, f"{page}/password", page, password=NEW_PASSWORD, repeat=NEW_PASSWORD,
         account_id=cast.ids["alpha/mia"], child=cast.ids["alpha/mia"],
         student_account_id=cast.ids["alpha/mia"])
    mia_after = person_of(app, cast, "alpha/mia")
    assert mia_after.password_hash == mia_before.password_hash
    assert person_of(app, cast, "alpha/kati").password_hash != mia_after.password_hash


def test_a_child_at_another_school_than_the_guardians(app, cast):
    peeter = app.test_client()  # a parent at alpha only
    assert login_at_school(peeter, "alpha", "peeter").status_code == 303
    before = person_of(app, cast, "beta/laur")
    assert try_all(peeter, cast, "beta/laur") == [404, 404, 404]
    assert_nothing_changed(app, cast, "beta/laur", before)


def test_a_child_whose_guardianship_was_removed(app, mari, cast):
    assert mari.get(f"/account/children/{cast.ids['alpha/kati']}").status_code == 200
    with app.app_context():
        row = db.session.scalar(db.select(Guardianship).where(
            Guardianship.student_account_id == cast.ids["alpha/kati"]))
        account_service.remove_guardianship(row, actor="dora", via="test")
        db.session.commit()
    before = person_of(app, cast, "alpha/kati")
    assert try_all(mari, cast, "alpha/kati") == [404, 404, 404]
    assert_nothing_changed(app, cast, "alpha/kati", before)
    assert "Kati Maasikas" not in mari.get("/account/").get_data(as_text=True)


def test_a_guardian_whose_parent_account_is_disabled(app, mari, cast):
    with app.app_context():
        account_service.disable_account(db.session.get(Account, cast.ids["gamma/mari"]),
                                        actor="test", via="test")
        db.session.commit()
    before = person_of(app, cast, "gamma/toomas")
    assert try_all(mari, cast, "gamma/toomas") == [404, 404, 404]
    assert_nothing_changed(app, cast, "gamma/toomas", before)


def test_the_child_itself_and_a_sibling_cannot(app, cast):
    kati = app.test_client()
    assert login_at_school(kati, "alpha", "kati", PASSWORD + "!").status_code == 303
    assert try_all(kati, cast, "alpha/kati") == [404, 404, 404]
    assert kati.get("/account/children/").status_code == 200


def test_not_logged_in(app, cast):
    client = app.test_client()
    token = csrf_token(client.get(profile_login_url(client, "alpha")).get_data(as_text=True))
    page = f"/account/children/{cast.ids['alpha/kati']}"
    assert client.get(page).status_code == 303
    refused = client.post(f"{page}/password", data={"csrf_token": token,
                                                    "password": NEW_PASSWORD,
                                                    "repeat": NEW_PASSWORD})
    assert refused.status_code == 303 and refused.location == "/account/login"
