"""The director's account pages: list and search, create, edit, disable and enable."""

from __future__ import annotations

import datetime as dt

import pytest

from idp.extensions import db
from idp.models import Account, AuditEvent, OutboxMessage, Token
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.helpers import csrf_token, login_and_get_tokens
from tests.idp._ui import find, parse

from .conftest import account, ids, isikukood

NEW = "/admin/alpha/accounts/new"


def form_page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def submit(client, url: str, **fields):
    data = {"csrf_token": csrf_token(form_page(client, url)), **fields}
    return client.post(url, data=data)


def new_account(**change) -> dict:
    fields = {"username": "Uus.Opilane", "given_name": "Uus", "family_name": "Õpilane",
              "email": "uus@example.ee", "phone": "+372  5555 1234 ", "isikukood": isikukood(11),
              "birthdate": "",
              "external_id": "S11", "roles": ["student"]}
    fields.update(change)
    return {k: v for k, v in fields.items() if v is not None}


def edit_fields(acc: Account, **change) -> dict:
    person = acc.person
    fields = {"given_name": person.given_name, "family_name": person.family_name,
              "email": person.email or "", "isikukood": person.isikukood or "",
              "birthdate": person.birthdate.isoformat() if person.birthdate else "",
              "external_id": acc.external_id or "", "roles": list(acc.roles)}
    fields.update(change)
    return fields


def listed(client, query: str = "") -> list[str]:
    page = parse(client.get(f"/admin/alpha/accounts{query}").get_data(as_text=True))
    return [td.text.strip() for td in find(page, "td")][1::5]  # the username column


def alerts(html: str) -> list:
    return [e for e in parse(html) if e.attrs.get("role") == "alert"]


# --- list and search ---------------------------------------------------------------------------

def test_the_list_shows_the_schools_accounts_only(dora):
    assert sorted(listed(dora)) == ["dora", "juhan", "kati", "mari"]


@pytest.mark.parametrize("query, expected", [
    ("?q=maasikas", ["kati", "mari"]),
    ("?q=JUHAN", ["juhan"]),
    ("?q=mari", ["kati", "mari"]),  # kati shares her mother's e-mail address
    ("?q=juhan@example", ["juhan"]),
    ("?q=dor", ["dora"]),
    ("?q=kati+maasikas", ["kati"]),
    ("?q=%25", []),
    ("?q=_", []),
    ("?role=student", ["kati"]),
    ("?role=admin", ["dora"]),
    ("?role=nonsense", ["dora", "juhan", "kati", "mari"]),
    ("?status=disabled", []),
], ids=["family-name", "case", "shared-email", "email", "username-prefix", "two-words", "percent",
        "underscore", "role", "director", "unknown-role", "status"])
def test_search(dora, query, expected):
    assert sorted(listed(dora, query)) == expected


@pytest.mark.parametrize("query", ["õunapuu", "ÕUNAPUU", "Õunapuu", "ülle", "ÜLLE ÕUN"])
def test_search_folds_estonian_letters_on_every_database(app, dora, query):
    """SQLite's own lower() knows ASCII only: "õunapuu" would not find "Õunapuu" there."""
    with app.app_context():
        account_service.create_account(school_service.get("alpha"), username="ylle",
                                       given_name="Ülle", family_name="Õunapuu",
                                       roles=["parent"], actor="test", via="test")
        db.session.commit()
    assert listed(dora, f"?q={query}") == ["ylle"]


def test_pages_of_fifty(app, dora):
    with app.app_context():
        school = school_service.get("alpha")
        for i in range(60):
            account_service.create_account(school, username=f"opilane{i:02d}", given_name="Õ",
                                           family_name=f"Pere{i:02d}", roles=["student"],
                                           actor="test", via="test")
        db.session.commit()
    first = dora.get("/admin/alpha/accounts?role=student").get_data(as_text=True)
    assert "61 kasutajakontot" in first and 'rel="next"' in first and 'rel="prev"' not in first
    second = listed(dora, "?role=student&page=2")
    assert len(second) == 11 and 'rel="prev"' in dora.get(
        "/admin/alpha/accounts?role=student&page=2").get_data(as_text=True)
    assert listed(dora, "?page=99") == []
    assert len(listed(dora, "?page=abc")) == 50
    assert len(listed(dora, "?page=-3&per_page=100000")) == 50


# --- create -------------------------------------------------------------------------------------

def test_create_an_account(app, dora):
    response = submit(dora, NEW, **new_account())
    assert response.status_code == 303
    made = account(app, "alpha", "uus.opilane")
    assert response.location == f"/admin/alpha/accounts/{made.id}"
    assert made.roles == ["student"] and made.external_id == "S11" and made.status == "active"
    person = made.person
    assert (person.given_name, person.family_name, person.email) == ("Uus", "Õpilane", "uus@example.ee")
    assert person.phone == "+372 5555 1234"  # as typed, spaces tidied
    assert person.isikukood == isikukood(11) and person.birthdate == dt.date(2010, 1, 1)
    assert person.password_hash is None and person.email_verified is False
    page = dora.get(response.location).get_data(as_text=True)
    assert "Kasutajakonto uus.opilane on loodud." in page
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "account_created"))
        assert event.actor == "dora" and event.school_id == made.school_id
        assert event.details == {"username": "uus.opilane", "via": "admin"}


@pytest.mark.parametrize("change, field, message", [
    ({"username": "x"}, "username", "2–100 märki"),
    ({"username": "mari"}, "username", "Kasutajanimi mari kuulub teisele kasutajakontole."),
    ({"given_name": "  "}, "given_name", "See on kohustuslik."),
    ({"family_name": "A\x00B"}, "family_name", "Sisaldab juhtmärke."),
    ({"family_name": "x" * 201}, "family_name", "Kõige rohkem 200 märki."),
    ({"email": "pole-aadress"}, "email", "See ei ole e-posti aadress."),
    ({"phone": "helista mulle"}, "phone", "See ei ole telefoninumber"),
    ({"phone": "+37 1"}, "phone", "5–15 numbrit"),
    ({"isikukood": "51001010010"}, "isikukood", "Isikukoodi kontrollnumber ei klapi."),
    ({"isikukood": "5100101001x"}, "isikukood", "Isikukoodis on täpselt 11 numbrit."),
    ({"birthdate": "2011-02-03"}, "birthdate", "Sünniaeg ei klapi isikukoodiga (01.01.2010)."),
    ({"isikukood": "", "birthdate": "3.3.3333"}, "birthdate", "Sünniaeg on tulevikus."),
    ({"external_id": "S 11"}, "external_id", "1–100 märki"),
    ({"roles": []}, "roles", "Anna vähemalt üks roll."),
    ({"roles": ["student", "wizard"]}, "roles", "Tundmatu roll wizard"),
], ids=["username-short", "username-taken", "given-blank", "nul", "too-long", "email",
        "phone-words", "phone-short", "checksum", "digits", "birthdate-mismatch", "future", "external-id", "no-roles",
        "unknown-role"])
def test_create_refuses_bad_data_field_by_field(app, dora, change, field, message):
    response = submit(dora, NEW, **new_account(**change))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    [summary] = alerts(html)
    assert message in summary.text
    page = parse(html)
    [error] = [e for e in page if e.attrs.get("id") == f"{field}-error"]
    assert message in error.text
    if field != "roles":
        [control] = find(page, "input", name=field)
        assert control.attrs["aria-invalid"] == "true"
        assert f"{field}-error" in control.attrs["aria-describedby"].split()
    assert "uus.opilane" not in listed(dora)


def test_the_isikukood_of_another_account_at_the_school_is_refused(app, dora):
    with app.app_context():
        account_service.create_account(school_service.get("alpha"), username="olemas",
                                       given_name="O", family_name="O", roles=["student"],
                                       isikukood=isikukood(11), actor="t", via="t")
        db.session.commit()
    response = submit(dora, NEW, **new_account())
    assert response.status_code == 422
    assert "See isikukood kuulub selle kooli teisele kasutajakontole (olemas)." in \
        response.get_data(as_text=True)


def test_a_form_without_csrf_token_is_refused(dora):
    assert dora.post(NEW, data=new_account()).status_code == 400


def test_english_on_request(dora):
    dora.get("/lang/en")
    response = submit(dora, NEW, **new_account(isikukood="51001010010"))
    assert "The check digit of the isikukood does not match." in response.get_data(as_text=True)


# --- edit ---------------------------------------------------------------------------------------

def test_edit_names_email_isikukood_and_roles(app, dora, directors):
    kati = account(app, "alpha", "kati")
    url = f"/admin/alpha/accounts/{kati.id}"
    response = submit(dora, url, **edit_fields(kati, given_name="Katrin", email="katrin@example.ee",
                                               isikukood=isikukood(12), roles=["student", "staff"],
                                               external_id="S12"))
    assert response.status_code == 303 and response.location == url
    kati = account(app, "alpha", "kati")
    assert kati.person.given_name == "Katrin" and kati.person.email == "katrin@example.ee"
    assert kati.person.isikukood == isikukood(12) and kati.person.birthdate == dt.date(2010, 1, 1)
    assert kati.roles == ["staff", "student"] and kati.external_id == "S12"
    assert kati.person.version == 2
    assert "Muudatused on salvestatud." in dora.get(url).get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "account_updated"))
    assert event.actor == "dora" and event.details["fields"] == [
        "birthdate", "email", "external_id", "given_name", "isikukood", "roles"]
    # the same form again changes nothing
    submit(dora, url, **edit_fields(kati))
    assert "Midagi ei muutunud." in dora.get(url).get_data(as_text=True)


def test_emptied_fields_erase(app, dora):
    mari = account(app, "alpha", "mari")
    submit(dora, f"/admin/alpha/accounts/{mari.id}", **edit_fields(mari, email=""))
    assert account(app, "alpha", "mari").person.email is None


def test_edit_refuses_bad_data(app, dora):
    kati = account(app, "alpha", "kati")
    response = submit(dora, f"/admin/alpha/accounts/{kati.id}",
                      **edit_fields(kati, isikukood="12345678901", family_name=""))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Isikukoodi numbrid 2–7 ei ole kehtiv kuupäev." in html
    assert account(app, "alpha", "kati").person.family_name == "Maasikas"


def test_the_director_keeps_the_director_role(app, dora):
    me = account(app, "alpha", "dora")
    response = submit(dora, f"/admin/alpha/accounts/{me.id}", **edit_fields(me, roles=["teacher"]))
    assert response.status_code == 422
    assert "Oma kasutajakontolt ei saa direktori rolli eemaldada." in response.get_data(as_text=True)
    assert account(app, "alpha", "dora").roles == ["admin", "teacher"]


def test_the_director_can_make_another_director(app, dora):
    juhan = account(app, "alpha", "juhan")
    submit(dora, f"/admin/alpha/accounts/{juhan.id}", **edit_fields(juhan, roles=["teacher", "admin"]))
    assert account(app, "alpha", "juhan").roles == ["admin", "teacher"]


def test_a_linked_persons_data_is_theirs(app, dora, directors):
    """Personal data belongs to the person: with accounts at other schools only they change it."""
    with app.app_context():
        beta_mari = db.session.scalar(db.select(Account).where(Account.id == ids()["beta/mari"]))
        beta_mari.person_id = db.session.get(Account, directors["alpha/mari"]).person_id
        db.session.commit()
    mari = account(app, "alpha", "mari")
    url = f"/admin/alpha/accounts/{mari.id}"
    html = form_page(dora, url)
    page = parse(html)
    assert not find(page, "input", name="given_name") and not find(page, "input", name="isikukood")
    assert not find(page, "input", name="phone")
    assert "ja neid ei muudeta ühe kooli lehtedel" in html
    submit(dora, url, given_name="Changed", email="x@example.ee", phone="+372 5555 1234",
           roles=["parent", "teacher"], external_id="M1")
    mari = account(app, "alpha", "mari")
    assert mari.person.given_name == "Mari" and mari.person.email == "mari@example.ee"
    assert mari.person.phone is None
    assert mari.roles == ["parent", "teacher"] and mari.external_id == "M1"


# --- disable and enable ------------------------------------------------------------------------

def test_disabling_ends_the_accounts_tokens(app, dora, world):
    with app.app_context():  # a back-channel logout receiver (nothing is delivered here)
        school_service.get("alpha").backchannel_logout_uri = "http://127.0.0.1:9/bcl"
        db.session.commit()
    browser = app.test_client()  # kati's own browser, logged in at her school's Stuudium
    tokens = login_and_get_tokens(browser, world.schools["alpha"], "kati",
                                  password="correct horse battery!")
    kati = account(app, "alpha", "kati")
    url = f"/admin/alpha/accounts/{kati.id}"
    response = dora.post(f"{url}/disable", data={"csrf_token": csrf_token(form_page(dora, url))})
    assert response.status_code == 303 and response.location == url
    assert account(app, "alpha", "kati").status == "disabled"
    with app.app_context():
        live = db.session.scalars(db.select(Token).where(Token.account_id == kati.id,
                                                         Token.revoked_at.is_(None))).all()
        assert live == []
        # OIDC Back-Channel Logout: the school ends its session of kati too
        queued = db.session.scalars(db.select(OutboxMessage).where(
            OutboxMessage.kind == "backchannel_logout")).all()
        assert [m.target for m in queued] == ["http://127.0.0.1:9/bcl"]
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "account_disabled"))
        assert event.actor == "dora" and event.details["revoked_tokens"] >= 1
    userinfo = browser.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 401
    refresh = browser.post("/token", data={"grant_type": "refresh_token",
                                           "refresh_token": tokens["refresh_token"]},
                           auth=("alpha", world.schools["alpha"]["secret"]))
    assert refresh.status_code == 400
    html = dora.get(url).get_data(as_text=True)
    assert "Ava kasutajakonto" in html
    response = dora.post(f"{url}/enable", data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303
    assert account(app, "alpha", "kati").status == "active"


def test_the_director_cannot_disable_themselves(app, dora):
    me = account(app, "alpha", "dora")
    url = f"/admin/alpha/accounts/{me.id}"
    page = form_page(dora, url)
    assert f"{url}/disable" not in page
    response = dora.post(f"{url}/disable", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert account(app, "alpha", "dora").status == "active"
    assert "Oma kasutajakontot ei saa sulgeda." in dora.get(url).get_data(as_text=True)


def test_unknown_accounts_are_404(dora):
    assert dora.get("/admin/alpha/accounts/999999").status_code == 404
    assert dora.get("/admin/alpha/accounts/abc").status_code == 404


def test_a_concurrent_create_of_the_same_username_is_a_friendly_409(app, dora, monkeypatch):
    monkeypatch.setattr("idp.services.accounts.conflicts", lambda *a, **k: {})
    response = submit(dora, NEW, **new_account(username="mari"))
    assert response.status_code == 409
    assert "Keegi teine muutis sama asja samal ajal" in response.get_data(as_text=True)
