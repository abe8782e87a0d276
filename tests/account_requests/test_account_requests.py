""" "Ava kasutajakonto" > "esita andmed ja taotle kontot": the request, the e-mail confirmation,
the director's decision, the e-mails, and the first login."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from idp.extensions import db
from idp.models import Account, AccountRequest, AuditEvent
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.helpers import PASSWORD, csrf_token
from tests.idp._ui import find, login_url, parse, post_login
from tests.recovery.support import (
    CONFIRM_LINK,
    RECOVERY_LINK,
    deliver_mail,
    html,
    path,
    pending_mail,
    received,
    set_password,
    text_of,
)

from .conftest import isikukood
from .support import (
    DATA,
    confirm,
    confirm_link,
    director,
    post_form,
    requests_of,
    send_request,
)

NEW_PASSWORD = "minu uus salasõna"


def submit_and_confirm(app, smtp_server, slug="alpha", **changes) -> AccountRequest:
    client = app.test_client()
    before = len(smtp_server.messages)
    assert send_request(client, slug, **changes).status_code == 303
    email = changes.get("email", DATA["email"])
    response = confirm(client, confirm_link(app, smtp_server, email, before))
    assert response.status_code == 303
    return [r for r in requests_of(app) if r.email == email][-1]


def detail_url(slug: str, row_id: int) -> str:
    return f"/admin/{slug}/requests/{row_id}"


# --- the person's side ---------------------------------------------------------------------

def test_ava_kasutajakonto_leads_to_the_request_form(client, world):
    login_page = html(client.get(login_url(client, world.schools["alpha"])))
    [link] = [a for a in find(parse(login_page), "a") if a.text.strip() == "Ava kasutajakonto"]
    page = html(client.get(link.attrs["href"]))
    assert "<h1>Ava kasutajakonto</h1>" in page
    [onward] = [a for a in find(parse(page), "a") if a.text.strip() == "esita andmed ja taotle kontot"]
    form = html(client.get(onward.attrs["href"]))
    assert "<h1>Esita andmed ja taotle kontot</h1>" in form
    for label in ("Eesnimi", "Perekonnanimi", "E-post", "Isikukood (kui soovid)", "Lapsevanem",
                  "Õpilane", "Õpetaja", "Muu", "Sinu laste nimed", "Sõnum koolile (kui soovid)"):
        assert f">{label}</label>" in form, label


def test_request_to_approval_to_first_login(app, directors, smtp_server):
    """The whole story, with every e-mail through SMTP."""
    person = app.test_client()
    before = len(smtp_server.messages)
    sent = send_request(person, "alpha", isikukood=isikukood("4900101123"))
    assert sent.status_code == 303 and sent.location == "/account-request/alpha/sent"
    assert "Saatsime sinu sisestatud meiliaadressile lingi." in html(person.get(sent.location))
    [row] = requests_of(app)
    assert row.status == "unconfirmed"
    # nothing reaches the director before the address is confirmed
    dora = director(app, "alpha", "dora")
    assert dora.get(detail_url("alpha", row.id)).status_code == 404
    assert "Õnne" not in html(dora.get("/admin/alpha/requests"))

    deliver_mail(app)
    [mail] = received(smtp_server, "onne@example.ee", before)
    assert mail["message"]["Subject"] == "Kinnita oma kontotaotlus: Alfa Kool"
    [link] = CONFIRM_LINK.findall(text_of(mail))
    shown = html(person.get(path(link)))
    assert "Sõõrumaa" in shown and "Mia Sõõrumaa" in shown
    assert "4900101" not in shown  # the code is not shown back on a page reached by a link
    assert requests_of(app)[0].status == "unconfirmed"  # opening the link changes nothing
    confirmed = confirm(person, link)
    assert confirmed.status_code == 303
    assert "Sinu taotlus on jõudnud kooli" in html(person.get(confirmed.location))
    assert requests_of(app)[0].status == "pending"

    # the director is told, and sees the request
    deliver_mail(app)
    [notice] = received(smtp_server, "dora@alpha.example.ee", before)
    assert notice["message"]["Subject"] == "Uus kontotaotlus: Õnne Sõõrumaa"
    assert f"http://idp.test/admin/alpha/requests/{row.id}" in text_of(notice)
    listing = html(dora.get("/admin/alpha/requests"))
    assert "Õnne Sõõrumaa" in listing and "onne@example.ee" in listing
    page = html(dora.get(detail_url("alpha", row.id)))
    assert 'value="onne.soorumaa"' in page  # the suggested username
    assert "Ükski kooli olemasolev konto ei paista olevat selle inimese oma." in page

    approved = post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/approve",
                         username="onne.soorumaa", roles=["parent"])
    assert approved.status_code == 303 and approved.location == "/admin/alpha/requests"
    assert "kasutajakonto onne.soorumaa on loodud" in html(dora.get(approved.location))
    with app.app_context():
        account = account_service.get(school_service.get("alpha"), "onne.soorumaa")
        assert account.roles == ["parent"] and account.person.email == "onne@example.ee"
        assert account.person.email_verified and account.person.birthdate == dt.date(1990, 1, 1)
        assert account.person.password_hash is None
        event = db.session.scalar(db.select(AuditEvent).where(
            AuditEvent.event == "account_request_approved"))
        assert event.actor == "dora" and event.details["mode"] == "new"
        assert event.school_id == account.school_id

    # the approval mail carries a set-password link; the person chooses a password
    deliver_mail(app)
    [welcome] = received(smtp_server, "onne@example.ee", before)[1:]
    assert welcome["message"]["Subject"] == "Sinu kasutajakonto on valmis: Alfa Kool"
    text = text_of(welcome)
    assert "Sinu kasutajanimi on onne.soorumaa." in text
    assert "Link töötab ühe korra ja kehtib 7 päeva." in text
    [password_link] = RECOVERY_LINK.findall(text)
    phone = app.test_client()
    page = html(phone.get(path(password_link)))
    assert "Tere tulemast, Õnne Sõõrumaa!" in page
    chosen = set_password(phone, password_link, NEW_PASSWORD)
    assert chosen.status_code == 303 and chosen.location.startswith("https://alpha.school.test/login")

    # and logs in at the school with the username and the new password
    browser = app.test_client()
    response = post_login(browser, login_url(browser, _alpha()), "onne.soorumaa", NEW_PASSWORD)
    assert response.status_code == 303 and response.location.startswith("/authorize")
    back = browser.get(response.location)
    assert back.location.startswith("https://alpha.school.test/cb")


def _alpha() -> dict:
    from tests.helpers import SECRETS, school_base
    return {"client_id": "alpha", "secret": SECRETS["alpha"], "redirect_uri": f"{school_base('alpha')}/cb"}


def test_rejection_sends_the_reason(app, directors, smtp_server):
    row = submit_and_confirm(app, smtp_server)
    dora = director(app, "alpha", "dora")
    token = csrf_token(html(dora.get(detail_url("alpha", row.id))))
    before = len(smtp_server.messages)
    empty = post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/reject", reason="  ")
    assert empty.status_code == 422 and 'role="alert"' in html(empty)
    rejected = post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/reject",
                         reason="Meie koolis sellist last ei õpi.")
    assert rejected.status_code == 303
    deliver_mail(app)
    [mail] = received(smtp_server, "onne@example.ee", before)
    assert mail["message"]["Subject"] == "Sinu kontotaotlus: Alfa Kool"
    assert "Meie koolis sellist last ei õpi." in text_of(mail)
    [row] = requests_of(app)
    assert row.status == "rejected" and row.decided_by == "dora"
    with app.app_context():
        assert db.session.scalar(db.select(Account).where(Account.username == "onne.soorumaa")) is None
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "account_request_rejected"))
        assert event.actor == "dora" and event.details["request_id"] == row.id
    # decided once: a second decision is refused
    again = dora.post(f"{detail_url('alpha', row.id)}/approve",
                      data={"csrf_token": token, "username": "onne.soorumaa", "roles": ["parent"]})
    assert again.status_code == 303
    assert "Selle taotluse kohta on otsus juba tehtud." in html(dora.get(again.location))
    assert "Lükkas tagasi dora" in html(dora.get(detail_url("alpha", row.id)))
    assert "Õnne Sõõrumaa" in html(dora.get("/admin/alpha/requests?show=decided"))


def test_attach_to_the_matching_existing_account(app, directors, smtp_server):
    code = isikukood("3800108571")
    with app.app_context():
        account_service.add(school_service.get("alpha"), username="peeter", given_name="Peeter",
                            family_name="Paju", roles=["parent"], isikukood=code)
        account_service.add(school_service.get("alpha"), username="peeter.teine", given_name="Peeter",
                            family_name="Paju", roles=["teacher"])
        db.session.commit()
    row = submit_and_confirm(app, smtp_server, given_name="peeter", family_name="PAJU",
                             email="peeter@example.ee", isikukood=code, role="parent",
                             children="Pille Paju")
    dora = director(app, "alpha", "dora")
    page = parse(html(dora.get(detail_url("alpha", row.id))))
    cells = [td.text for td in find(page, "td")]
    assert any("sama isikukood" in c and "sama nimi ja sünniaeg" in c for c in cells), cells
    assert any(c.strip() == "sama nimi" for c in cells), cells
    with app.app_context():
        peeter = account_service.get(school_service.get("alpha"), "peeter")
        peeter_id = peeter.id
    before = len(smtp_server.messages)
    attached = post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/attach",
                         account_id=peeter_id)
    assert attached.status_code == 303
    with app.app_context():
        peeter = db.session.get(Account, peeter_id)
        assert peeter.person.email == "peeter@example.ee" and peeter.person.email_verified
        assert db.session.scalar(db.select(db.func.count(Account.id))) == 8  # nothing new
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "account_request_approved"))
        assert event.details["mode"] == "attach" and event.details["fields"] == ["email"]
    deliver_mail(app)
    [mail] = received(smtp_server, "peeter@example.ee", before)
    assert "sinu meiliaadress lisati sinu kasutajakontole" in text_of(mail)
    [link] = RECOVERY_LINK.findall(text_of(mail))
    assert set_password(app.test_client(), link, NEW_PASSWORD).status_code == 303
    browser = app.test_client()
    assert post_login(browser, login_url(browser, _alpha()), "peeter@example.ee",
                      NEW_PASSWORD).location.startswith("/authorize")


def test_attach_adds_the_personal_code_when_the_account_has_none(app, directors, smtp_server):
    code = isikukood("4900101123")
    row = submit_and_confirm(app, smtp_server, given_name="Mari", family_name="Maasikas",
                             email="mari.uus@example.ee", isikukood=code)
    dora = director(app, "alpha", "dora")
    with app.app_context():
        mari_id = account_service.get(school_service.get("alpha"), "mari").id
    assert post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/attach",
                     account_id=mari_id).status_code == 303
    with app.app_context():
        person = db.session.get(Account, mari_id).person
        assert (person.isikukood, person.email, person.birthdate) == (code, "mari.uus@example.ee", dt.date(1990, 1, 1))


def test_attach_refuses_an_account_with_another_code(app, directors, smtp_server):
    with app.app_context():
        account_service.add(school_service.get("alpha"), username="peeter", given_name="Peeter",
                            family_name="Paju", roles=["parent"], isikukood=isikukood("3800108571"))
        db.session.commit()
        peeter_id = account_service.get(school_service.get("alpha"), "peeter").id
    row = submit_and_confirm(app, smtp_server, given_name="Peeter", family_name="Paju",
                             email="peeter@example.ee", isikukood=isikukood("3800108572"))
    dora = director(app, "alpha", "dora")
    refused = post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/attach",
                        account_id=peeter_id)
    assert refused.status_code == 303
    assert "Kasutajakontol peeter on teine isikukood." in html(dora.get(refused.location))
    assert requests_of(app)[0].status == "pending"
    # a new account with a code that another account holds is refused too
    row2 = submit_and_confirm(app, smtp_server, given_name="Peeter", family_name="Paju",
                              email="peeter2@example.ee", isikukood=isikukood("3800108571"))
    refused = post_form(dora, detail_url("alpha", row2.id), f"{detail_url('alpha', row2.id)}/approve",
                        username="peeter.paju", roles=["parent"])
    assert "on see isikukood juba olemas (peeter)" in html(dora.get(refused.location))


def test_a_taken_username_is_shown_at_the_field(app, directors, smtp_server):
    row = submit_and_confirm(app, smtp_server)
    dora = director(app, "alpha", "dora")
    taken = post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/approve",
                      username="juhan", roles=["parent"])
    assert taken.status_code == 422
    page = html(taken)
    assert 'aria-invalid="true"' in page and 'role="alert"' in page
    bad = post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/approve",
                    username="Ä", roles=[])
    assert bad.status_code == 422 and requests_of(app)[0].status == "pending"


def test_suggested_usernames_are_plain_and_unique(app, directors, smtp_server):
    from idp.account_requests.service import suggest_username
    with app.app_context():
        account_service.add(school_service.get("alpha"), username="onne.soorumaa", given_name="Õnne",
                            family_name="Sõõrumaa", roles=["parent"])
        db.session.commit()
        row = AccountRequest(school_id=school_service.get("alpha").id, given_name="Õnne",
                             family_name="Sõõrumaa")
        assert suggest_username(row) == "onne.soorumaa2"
        row.given_name, row.family_name = "Mari-Liis Anna", "Žukovski"
        assert suggest_username(row) == "mari-liis-anna.zukovski"


def test_likely_accounts_by_name_and_birth_date(app, directors):
    from idp.account_requests.service import likely_accounts
    with app.app_context():
        alpha = school_service.get("alpha")
        account_service.add(alpha, username="tiit", given_name="Tiit", family_name="Tamm",
                            roles=["student"], birthdate=dt.date(2010, 1, 1))
        account_service.add(school_service.get("beta"), username="tiit", given_name="Tiit",
                            family_name="Tamm", roles=["student"], birthdate=dt.date(2010, 1, 1))
        row = AccountRequest(school_id=alpha.id, given_name="TIIT", family_name="tamm",
                             email_key="x@example.ee", isikukood=isikukood("5100101123"),
                             birthdate=dt.date(2010, 1, 1))
        [match] = likely_accounts(row)
        assert match.account.username == "tiit" and match.account.school_id == alpha.id
        assert match.reasons == ["name_birthdate"]


# --- merging, robots, limits ---------------------------------------------------------------

def test_requests_from_one_address_merge(app, directors, smtp_server):
    client = app.test_client()
    before = len(smtp_server.messages)
    assert send_request(client, message="Esimene").status_code == 303
    first = confirm_link(app, smtp_server, "onne@example.ee", before)
    assert send_request(client, email="ONNE@example.ee", message="Teine").status_code == 303
    second = confirm_link(app, smtp_server, "ONNE@example.ee", before)
    [row] = requests_of(app)
    assert row.submissions == 2 and row.message == "Teine"
    assert client.get(path(first)).status_code == 404  # the newer link replaced it
    assert confirm(client, second).status_code == 303
    # sent again after confirming: still one request, to be confirmed again
    assert send_request(client, message="Kolmas").status_code == 303
    [row] = requests_of(app)
    assert (row.submissions, row.status, row.message) == (3, "unconfirmed", "Kolmas")
    # another school's request from the same address is its own
    assert send_request(client, "beta").status_code == 303
    assert len(requests_of(app)) == 2


def test_the_trap_field_gets_the_usual_answer_and_nothing_else(app, directors, client):
    response = send_request(client, website="http://spam.example")
    assert response.status_code == 303 and response.location == "/account-request/alpha/sent"
    assert requests_of(app) == [] and pending_mail(app) == []


def test_the_trap_field_is_hidden_from_people(client, world):
    page = parse(html(client.get("/account-request/alpha/new")))
    [trap] = [e for e in page if e.attrs.get("class") == "trap"]
    assert trap.attrs.get("aria-hidden") == "true"
    [field] = find(page, "input", name="website")
    assert field.attrs["tabindex"] == "-1" and field.attrs["autocomplete"] == "off"


@pytest.mark.parametrize("app_config", [{"ACCOUNT_REQUEST_MIN_FILL_SECONDS": 3}], indirect=True)
def test_a_form_sent_too_fast_or_without_its_stamp_is_shown_again(app, directors):
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with time_machine.travel(start, tick=False) as traveller:
        client = app.test_client()
        fast = send_request(client)
        assert fast.status_code == 422
        assert "Palun kontrolli oma andmeid ja saada vorm veel kord." in html(fast)
        assert requests_of(app) == []
        page = client.get("/account-request/alpha/new")
        forged = client.post("/account-request/alpha/new",
                             data={**DATA, "csrf_token": csrf_token(html(page)), "started": "forged"})
        assert forged.status_code == 422 and requests_of(app) == []
        import re
        text = html(page)
        started = re.search(r'name="started" type="hidden" value="([^"]*)"', text).group(1)
        traveller.shift(dt.timedelta(seconds=5))
        human = client.post("/account-request/alpha/new",
                            data={**DATA, "csrf_token": csrf_token(text), "started": started})
        assert human.status_code == 303 and len(requests_of(app)) == 1
        # a stamp of another school's form does not count
        beta = client.post("/account-request/beta/new",
                           data={**DATA, "csrf_token": csrf_token(text), "started": started})
        assert beta.status_code == 422


@pytest.mark.parametrize("app_config", [{"ACCOUNT_REQUEST_ADDRESS_LIMIT": "2 per hour"}], indirect=True)
def test_the_form_is_limited_per_client_address(app, directors, client):
    for n in range(2):
        assert send_request(client, email=f"x{n}@example.ee").status_code == 303
    refused = send_request(client, email="x3@example.ee")
    assert refused.status_code == 429
    assert "Sinu võrgust on lühikese ajaga tulnud liiga palju päringuid." in html(refused)


def test_at_most_three_confirmation_mails_per_address_per_hour(app, directors, smtp_server):
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with time_machine.travel(start, tick=False) as traveller:
        client = app.test_client()
        for _ in range(5):
            assert send_request(client).status_code == 303
        assert len(pending_mail(app)) == 3
        traveller.shift(dt.timedelta(hours=1, seconds=1))
        assert send_request(client).status_code == 303
        assert len(pending_mail(app)) == 4
    assert len(requests_of(app)) == 1


@pytest.mark.parametrize("changes, field, message", [
    ({"isikukood": "49001011234"}, "isikukood", "Isikukoodi kontrollnumber ei klapi."),
    ({"isikukood": "123"}, "isikukood", "Isikukoodis on täpselt 11 numbrit."),
    ({"children": ""}, "children", "Kirjuta oma laste nimed, kes selles koolis õpivad."),
    ({"email": "not-an-address"}, "email", "See ei ole e-posti aadress."),
    ({"email": ""}, "email", "See on kohustuslik."),
    ({"given_name": ""}, "given_name", "See on kohustuslik."),
    ({"role": None}, "role", "See on kohustuslik."),
])
def test_wrong_values_are_explained_at_their_fields(app, directors, client, changes, field, message):
    response = send_request(client, **changes)
    assert response.status_code == 422
    page = parse(html(response))
    [alert] = [e for e in page if e.attrs.get("role") == "alert"]
    assert message in alert.text
    if field != "role":
        [element] = [e for e in page if e.attrs.get("name") == field and e.tag in ("input", "textarea")]
        assert element.attrs.get("aria-invalid") == "true"
        assert f"{field}-error" in element.attrs.get("aria-describedby")
    assert message in html(response).split(f'id="{field}-error">')[1].split("</p>")[0]
    assert requests_of(app) == []


def test_multi_line_fields_keep_their_line_breaks(app, directors, client):
    """The form asks for each child "igaüks eraldi real": browsers send CRLF between lines."""
    response = send_request(client, children="Mia Sõõrumaa\r\nMart Sõõrumaa\r\n",
                            message="Tere!\r\n\r\nMia on 3. klassis.\tAitäh.")
    assert response.status_code == 303, html(response)[:2000]
    [row] = requests_of(app)
    assert row.children == "Mia Sõõrumaa\nMart Sõõrumaa"
    assert row.message == "Tere!\n\nMia on 3. klassis. Aitäh."


@pytest.mark.parametrize("field", ["children", "message"])
def test_multi_line_fields_still_refuse_other_control_characters(app, directors, client, field):
    response = send_request(client, **{field: "Mia\x00Sõõrumaa\r\nMart\x1b"})
    assert response.status_code == 422
    assert "Sisaldab juhtmärke." in html(response).split(f'id="{field}-error">')[1].split("</p>")[0]
    assert requests_of(app) == []


def test_a_valid_code_gives_the_birth_date(app, directors, client):
    assert send_request(client, isikukood=isikukood("5100101123"), role="student", children="").status_code == 303
    [row] = requests_of(app)
    assert row.birthdate == dt.date(2010, 1, 1) and row.children is None


def test_confirmation_links_expire(app, directors, smtp_server):
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    with time_machine.travel(start, tick=False) as traveller:
        client = app.test_client()
        before = len(smtp_server.messages)
        send_request(client)
        link = confirm_link(app, smtp_server, "onne@example.ee", before)
        traveller.shift(dt.timedelta(days=3))
        expired = client.get(path(link))
        assert expired.status_code == 410 and "Selle lingi kehtivus on lõppenud." in html(expired)
    assert client.get("/account-request-confirm/nonsense").status_code == 404


def test_the_pages_are_in_estonian_first_and_english_by_choice(client, world):
    assert "<h1>Esita andmed ja taotle kontot</h1>" in html(client.get("/account-request/alpha/new"))
    client.get("/lang/en")
    page = html(client.get("/account-request/alpha/new"))
    assert '<html lang="en">' in page and "<h1>Submit your data and request an account</h1>" in page


# --- tenant isolation ----------------------------------------------------------------------

def test_a_director_sees_and_decides_only_their_own_schools_requests(app, directors, smtp_server):
    row = submit_and_confirm(app, smtp_server, "alpha")
    beta_row = submit_and_confirm(app, smtp_server, "beta", email="beta@example.ee", given_name="Bea")
    with app.app_context():
        mari_alpha = account_service.get(school_service.get("alpha"), "mari").id
        mari_beta = account_service.get(school_service.get("beta"), "mari").id
    bert = director(app, "beta", "bert")
    alpha_pages = [("GET", "/admin/alpha/requests", {}),
                   ("GET", detail_url("alpha", row.id), {}),
                   ("POST", f"{detail_url('alpha', row.id)}/approve", {"username": "x.y", "roles": ["parent"]}),
                   ("POST", f"{detail_url('alpha', row.id)}/attach", {"account_id": mari_alpha}),
                   ("POST", f"{detail_url('alpha', row.id)}/reject", {"reason": "no"})]
    token = csrf_token(html(bert.get(detail_url("beta", beta_row.id))))
    for method, url, data in alpha_pages:
        response = bert.open(url, method=method, data={**data, "csrf_token": token})
        assert response.status_code == 403, (method, url, response.status_code)
    # another school's request through one's own school's address: not found
    for method, url, data in alpha_pages[1:]:
        url = url.replace("/admin/alpha/", "/admin/beta/")
        response = bert.open(url, method=method, data={**data, "csrf_token": token})
        assert response.status_code == 404, (method, url, response.status_code)
    assert "Õnne" not in html(bert.get("/admin/beta/requests"))
    assert "Õnne" not in html(bert.get("/admin/beta/requests?show=decided"))
    # attaching one's own school's request to another school's account: not found
    response = bert.post(f"{detail_url('beta', beta_row.id)}/attach",
                         data={"account_id": mari_alpha, "csrf_token": token})
    assert response.status_code == 404
    assert {r.status for r in requests_of(app)} == {"pending"}
    # and the right director can
    response = bert.post(f"{detail_url('beta', beta_row.id)}/attach",
                         data={"account_id": mari_beta, "csrf_token": token})
    assert response.status_code == 303


def test_people_who_are_not_directors_are_kept_out(app, directors, smtp_server):
    row = submit_and_confirm(app, smtp_server)
    anonymous = app.test_client()
    for url in ("/admin/alpha/requests", detail_url("alpha", row.id)):
        response = anonymous.get(url)
        assert response.status_code == 303 and response.location.startswith("/login/")
    response = anonymous.post(f"{detail_url('alpha', row.id)}/reject", data={"reason": "x"})
    assert response.status_code in (303, 400)  # to the login page (or the missing CSRF token)
    mari = director(app, "alpha", "mari")  # a parent, not the director
    assert mari.get("/admin/alpha/requests").status_code == 403
    assert mari.get(detail_url("alpha", row.id)).status_code == 403
    assert anonymous.get("/admin/nowhere/requests").status_code == 404
    assert requests_of(app)[0].status == "pending"


def test_logging_in_from_the_review_page_comes_back_to_it(app, directors, smtp_server):
    row = submit_and_confirm(app, smtp_server)
    client = app.test_client()
    start = client.get(detail_url("alpha", row.id))
    posted = post_login(client, start.location, "dora", PASSWORD)
    assert posted.status_code == 303 and posted.location == detail_url("alpha", row.id)


def test_review_pages_are_accessible(app, directors, smtp_server):
    row = submit_and_confirm(app, smtp_server)
    dora = director(app, "alpha", "dora")
    for url in ("/admin/alpha/requests", detail_url("alpha", row.id), "/account-request/alpha",
                "/account-request/alpha/new"):
        page = parse(html(dora.get(url)))
        labels = {label.attrs.get("for") for label in find(page, "label")}
        for field in find(page, "input") + find(page, "textarea"):
            if field.attrs.get("type") != "hidden":
                assert field.attrs.get("id") in labels, (url, field)
        ids = [e.attrs["id"] for e in page if "id" in e.attrs]
        assert len(ids) == len(set(ids)), url
        assert all(b.text.strip() for b in find(page, "button")), url
        assert not find(page, "script"), url


def test_the_answers_are_written_in_the_language_of_the_form(app, directors, smtp_server):
    person = app.test_client()
    person.get("/lang/en")
    before = len(smtp_server.messages)
    assert send_request(person, email="english@example.ee").status_code == 303
    link = confirm_link(app, smtp_server, "english@example.ee", before)
    assert "Confirm your account request: Alfa Kool" == received(
        smtp_server, "english@example.ee", before)[0]["message"]["Subject"]
    assert confirm(person, link).status_code == 303
    [row] = requests_of(app)
    dora = director(app, "alpha", "dora")  # the director's pages stay in Estonian
    post_form(dora, detail_url("alpha", row.id), f"{detail_url('alpha', row.id)}/approve",
              username="onne.english", roles=["parent"])
    deliver_mail(app)
    welcome = received(smtp_server, "english@example.ee", before)[-1]
    assert welcome["message"]["Subject"] == "Your account at Alfa Kool is ready"
    assert "Your username is onne.english." in text_of(welcome)
