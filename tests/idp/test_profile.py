"""The IdP's own profile page (/account/): the person's data and the schools that receive it."""

from __future__ import annotations

import datetime as dt

from idp.extensions import db
from idp.models import Account, Person
from tests.helpers import csrf_token

from ._ui import find, is_authorized, login_at_school, login_url, parse, post_login


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_profile_without_session_offers_the_schools_to_log_in_through(client, world):
    response = client.get("/account/")
    assert response.status_code == 302 and response.location == "/account/login"
    html = html_of(client.get(response.location))
    assert '<html lang="et">' in html and "Vali kool, kus sul on kasutajakonto" in html
    links = {a.text.strip(): a.attrs["href"] for a in find(parse(html), "a")
             if a.attrs.get("href", "").startswith("/login/school/")}
    assert links == {"Alfa Kool": "/login/school/alpha", "Beeta Gümnaasium": "/login/school/beta"}


def test_profile_front_page_leads_to_the_profile(client, world):
    assert client.get("/").location == "/account/"


def test_profile_school_list_without_schools(client):
    assert "Ühtegi kooli pole veel registreeritud." in html_of(client.get("/account/login"))


def test_profile_disabled_school_is_not_offered(app, client, world):
    with app.app_context():
        from idp.services import schools as school_service
        school_service.get("beta").enabled = False
        db.session.commit()
    html = html_of(client.get("/account/login"))
    assert "Alfa Kool" in html and "Beeta Gümnaasium" not in html
    assert client.get("/login/school/beta").status_code == 404


def test_profile_shows_name_data_and_schools_with_estonian_roles(app, client, world):
    with app.app_context():
        person = db.session.scalar(db.select(Person).join(Account)
                                   .where(Account.sub == world.accounts["alpha/mari"]))
        person.birthdate = dt.date(1980, 3, 12)
        person.isikukood = "48003120218"
        db.session.commit()
    response = login_at_school(client, "alpha", "mari")
    assert response.status_code == 303 and response.location == "/account/"
    html = html_of(client.get("/account/"))
    assert "<h1>Mari Maasikas</h1>" in html
    for words in ("Minu andmed", "mari@example.ee", "12.03.1980", "Koolid, kes saavad minu andmeid",
                  "Alfa Kool", "lapsevanem", "kasutajanimi mari"):
        assert words in html, words
    assert "48003120218" not in html, "the isikukood is never shown"
    assert "Beeta Gümnaasium" not in html, "another person's account"


def test_profile_lists_every_school_of_the_person_with_its_roles(app, client, world):
    with app.app_context():
        beta_account = db.session.scalar(db.select(Account).where(
            Account.sub == world.accounts["beta/mari"]))
        alpha_person = db.session.scalar(db.select(Person).join(Account).where(
            Account.sub == world.accounts["alpha/mari"]))
        beta_account.person = alpha_person  # one person, accounts at two schools
        beta_account.roles = ["parent", "teacher"]
        db.session.commit()
    login_at_school(client, "alpha", "mari")
    items = [li.text for li in find(parse(html_of(client.get("/account/"))), "li")]
    assert any("Alfa Kool" in t and "lapsevanem" in t for t in items)
    assert any("Beeta Gümnaasium" in t and "lapsevanem, õpetaja" in t for t in items)


def test_profile_roles_in_english(client, world):
    client.get("/lang/en")
    login_at_school(client, "alpha", "juhan")
    html = html_of(client.get("/account/"))
    assert '<html lang="en">' in html and "teacher" in html and "õpetaja" not in html


def test_profile_after_login_through_a_school_flow(client, world):
    """A session started by a school's /authorize is the same session on the profile page."""
    post_login(client, login_url(client, world.schools["alpha"]), "kati", "correct horse battery!")
    html = html_of(client.get("/account/"))
    assert "<h1>Kati Maasikas</h1>" in html and "õpilane" in html


def test_profile_logout_button_ends_the_session(client, world):
    login_at_school(client, "alpha", "mari")
    html = html_of(client.get("/account/"))
    [form] = [f for f in find(parse(html), "form") if f.attrs.get("action") == "/account/logout"]
    assert form.attrs["method"] == "post"
    client.post("/account/logout", data={"csrf_token": csrf_token(html)})
    assert client.get("/account/").location == "/account/login"
    assert not is_authorized(client, world.schools["alpha"])


def test_UI_language_switch_on_the_logged_out_page_works(client, world):
    login_at_school(client, "alpha", "mari")
    token = csrf_token(html_of(client.get("/account/")))
    page = parse(html_of(client.post("/account/logout", data={"csrf_token": token})))
    [switch] = [a for a in find(page, "a") if a.text.strip() == "In English"]
    response = client.get(switch.attrs["href"], follow_redirects=True)
    assert response.status_code == 200, "the switch must not lead to a GET of a POST-only page"
    assert '<html lang="en">' in html_of(response)


def test_the_person_sets_and_removes_their_phone_number(app, client, world):
    login_at_school(client, "alpha", "mari")
    page = html_of(client.get("/account/"))
    assert "Telefon" in page and 'type="tel"' in page
    response = client.post("/account/phone", data={"csrf_token": csrf_token(page),
                                                    "phone": " +372 5555  1234 "})
    assert response.status_code == 303 and response.location == "/account/"
    page = html_of(client.get("/account/"))
    assert "Telefoninumber salvestatud. Sinu koolid saavad selle." in page
    assert "<dd>+372 5555 1234</dd>" in page
    with app.app_context():
        person = db.session.scalar(db.select(Person).join(Account).where(
            Account.sub == world.accounts["alpha/mari"]))
        assert person.phone == "+372 5555 1234"
        from idp.models import AuditEvent
        assert db.session.scalar(db.select(AuditEvent.event).where(
            AuditEvent.event == "phone_changed")) == "phone_changed"
    refused = client.post("/account/phone", data={"csrf_token": csrf_token(page), "phone": "call"})
    assert refused.status_code == 422
    page = html_of(refused)
    assert "See ei ole telefoninumber" in page and "<dd>+372 5555 1234</dd>" in page
    [control] = find(parse(page), "input", name="phone")
    assert control.attrs["aria-invalid"] == "true" and control.attrs["value"] == "call"
    assert "phone-error" in control.attrs["aria-describedby"].split()
    client.post("/account/phone", data={"csrf_token": csrf_token(page), "phone": ""})
    assert "Telefoninumber eemaldatud." in html_of(client.get("/account/"))
    with app.app_context():
        assert db.session.scalar(db.select(Person.phone).join(Account).where(
            Account.sub == world.accounts["alpha/mari"])) is None


def test_the_phone_form_needs_a_session_and_the_csrf_token(client, world):
    assert client.post("/account/phone", data={"phone": "+372 5555 1234"}).status_code == 400
    login_at_school(client, "alpha", "mari")
    assert client.post("/account/phone", data={"phone": "+372 5555 1234"}).status_code == 400
