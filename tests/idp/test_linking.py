"""Linking accounts at two schools ("Seo oma konto teise kooliga"): the flow, its proofs and its
refusals, the merge, and what the schools see afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from idp.extensions import db
from idp.models import (
    Account,
    AuditEvent,
    LinkFlow,
    LoginThrottle,
    OutboxMessage,
    Person,
    PersonMerge,
    SSOSession,
)
from idp.services import schools as school_service
from tests.helpers import PASSWORD, auth_params, csrf_token, pkce_pair

from ._protocol import assert_code_redirect, decode_id_token, exchange, log_in, userinfo
from ._ui import find, is_authorized, login_at_school, parse

IK_MARI = "48003120218"  # female, 12.03.1980
IK_OTHER = "38001085718"  # male, 08.01.1980
BUTTON = "Seo oma konto teise kooliga"
WRONG = "Kasutajanimi või salasõna on vale."
WAIT = "Liiga palju ebaõnnestunud katseid."


# --- helpers -----------------------------------------------------------------------------------

def html(response) -> str:
    return response.get_data(as_text=True)


def person_of(world, key: str) -> Person:
    return db.session.scalar(db.select(Person).join(Account).where(Account.sub == world.accounts[key]))


def account_of(world, key: str) -> Account:
    return db.session.scalar(db.select(Account).where(Account.sub == world.accounts[key]))


def set_person(app, world, key: str, **fields) -> None:
    with app.app_context():
        person = person_of(world, key)
        for name, value in fields.items():
            setattr(person, name, value)
        db.session.commit()


def verifiable(app, world, *keys: str, code: str = IK_MARI) -> None:
    for key in keys:
        set_person(app, world, key, isikukood=code)


def start(client) -> str:
    """Press the profile page's button; returns the flow's page URL."""
    page = client.get("/account/")
    assert page.status_code == 200 and 'action="/account/link"' in html(page)
    response = client.post("/account/link", data={"csrf_token": csrf_token(html(page))})
    assert response.status_code == 303 and response.location.startswith("/account/link/"), \
        (response.status_code, response.location)
    return response.location


def token_of(client) -> str:
    """This browser's CSRF token (one per UI session), from the profile page."""
    return csrf_token(html(client.get("/account/")))


def post(client, url: str, data: dict | None = None):
    """POST a step of the flow with this browser's CSRF token."""
    return client.post(url, data={"csrf_token": token_of(client), **(data or {})})


def choose(client, flow: str, slug: str = "beta"):
    response = post(client, f"{flow}/school", {"school": slug})
    assert response.status_code == 303 and response.location == flow
    return client.get(flow)


def login_there(client, flow: str, username: str = "mari", password: str = PASSWORD):
    response = post(client, f"{flow}/login", {"username": username, "password": password})
    assert response.status_code == 303 and response.location == flow
    return client.get(flow)


def run_link(client, username: str = "mari"):
    """Start at the profile, choose beta, log in there; returns the page shown next."""
    flow = start(client)
    choose(client, flow)
    return flow, login_there(client, flow, username)


def confirm(client, flow: str, **choices):
    return post(client, f"{flow}/confirm", choices)


def alerts(page_html: str) -> list[str]:
    return [e.text.strip() for e in parse(page_html) if e.attrs.get("role") == "alert"]


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture
def mari(app, client, world):
    """Mari, logged in at alpha through a school's /authorize; both her accounts verifiable."""
    verifiable(app, world, "alpha/mari", "beta/mari")
    log_in(client, world.schools["alpha"], "mari")
    return client


# --- the whole flow ----------------------------------------------------------------------------

def test_link_end_to_end_beta_answers_from_the_session_with_its_own_sub(app, mari, world):
    client = mari
    assert not is_authorized(client, world.schools["beta"])
    flow, page = run_link(client)
    text = html(page)
    assert page.status_code == 200 and "Kinnita sidumine" in text
    for words in ("Alfa Kool", "Beeta Gümnaasium", "lapsevanem", "Isikukood", "sisestatud",
                  "Kooli Alfa Kool konto salasõna jääb kasutusele",
                  "Salasõna, mida kasutasid koolis Beeta Gümnaasium, enam ei kehti."):
        assert words in text, words
    assert "kasutasid koolis Alfa Kool" not in text
    response = confirm(client, flow)
    assert response.status_code == 303 and response.location == "/account/"
    profile = html(client.get("/account/"))
    assert "Alfa Kool" in profile and "Beeta Gümnaasium" in profile

    with app.app_context():
        person = person_of(world, "alpha/mari")
        assert {a.sub for a in person.accounts} == {world.accounts["alpha/mari"],
                                                    world.accounts["beta/mari"]}
        merge = db.session.scalar(db.select(PersonMerge))
        assert merge.into_person_id == person.id
        merged = db.session.get(Person, merge.merged_person_id)
        assert merged.accounts == [] and merged.password_hash is None and merged.isikukood is None
        linked_at = {e.school_id for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.event == "accounts_linked"))}
        assert linked_at == {account_of(world, key).school_id for key in ("alpha/mari", "beta/mari")}

    # beta: answered from the live SSO session, no login page, beta's own sub
    beta = world.schools["beta"]
    verifier, challenge = pkce_pair()
    params = auth_params(beta, challenge, prompt="none")
    code = assert_code_redirect(client.get("/authorize", query_string=params), beta, params["state"])
    tokens = exchange(client, beta, code, verifier).get_json()
    claims = decode_id_token(app, tokens["id_token"]).claims
    assert claims["sub"] == world.accounts["beta/mari"]
    info = userinfo(client, tokens["access_token"]).get_json()
    assert info["sub"] == world.accounts["beta/mari"]
    assert [s["client_id"] for s in info["schools"]] == ["beta", "alpha"]


def test_link_names_compare_after_nfc_case_and_space_folding(app, client, world):
    verifiable(app, world, "alpha/mari", "beta/mari")
    set_person(app, world, "alpha/mari", given_name="Mari-Liis", family_name="Õun")
    set_person(app, world, "beta/mari", given_name="  MARI-LIIS ", family_name="O\u0303un")
    log_in(client, world.schools["alpha"], "mari")
    flow, page = run_link(client)
    assert "Kinnita sidumine" in html(page)
    assert confirm(client, flow).status_code == 303
    with app.app_context():
        assert len(person_of(world, "alpha/mari").accounts) == 2


def test_link_birthdate_verifies_when_an_isikukood_is_missing(app, client, world):
    set_person(app, world, "alpha/mari", isikukood=IK_MARI)
    set_person(app, world, "beta/mari", birthdate=dt.date(1980, 3, 12))
    log_in(client, world.schools["alpha"], "mari")
    flow, page = run_link(client)
    assert "Kinnita sidumine" in html(page)


def test_link_profile_button_uses_the_guides_words(mari):
    [button] = [b for b in find(parse(html(mari.get("/account/"))), "button")
                if b.text.strip() == BUTTON]
    assert button


def test_link_flow_pages_are_estonian_first_and_english_by_choice(app, mari, world):
    flow = start(mari)
    assert '<html lang="et">' in html(mari.get(flow))
    mari.get("/lang/en")
    page = html(mari.get(flow))
    assert '<html lang="en">' in page and "Where is your other account?" in page


def test_link_the_profile_lists_only_schools_without_an_account(app, mari, world):
    page = parse(html(mari.get(start(mari))))
    radios = [e.attrs["value"] for e in find(page, "input") if e.attrs.get("type") == "radio"]
    assert radios == ["beta"]


# --- proof: fresh authentication of both accounts ----------------------------------------------

def test_link_stale_session_must_reauthenticate_the_current_account_first(app, mari, world, clock):
    clock.shift(dt.timedelta(minutes=11))
    flow = start(mari)
    page = html(mari.get(flow))
    assert "Kinnita, et see oled sina" in page and "kasutajanimi mari" in page
    # skipping the step does nothing
    response = post(mari, f"{flow}/school", {"school": "beta"})
    assert response.status_code == 303 and response.location == flow
    with app.app_context():
        assert db.session.scalar(db.select(LinkFlow)).school_id is None
    response = post(mari, f"{flow}/reauth", {"password": "wrong password"})
    assert response.status_code == 303
    page = html(mari.get(flow))
    assert alerts(page) == ["Salasõna on vale."]
    [field] = find(parse(page), "input", name="password")
    assert field.attrs["aria-invalid"] == "true"
    post(mari, f"{flow}/reauth", {"password": PASSWORD})
    assert "Kus on sinu teine konto?" in html(mari.get(flow))
    choose(mari, flow)
    page = html(login_there(mari, flow))
    assert "Kinnita sidumine" in page
    assert confirm(mari, flow).status_code == 303
    with app.app_context():
        assert len(person_of(world, "alpha/mari").accounts) == 2


def test_link_proof_expires_with_the_flow_after_ten_minutes(app, mari, world, clock):
    flow, page = run_link(mari)
    assert "Kinnita sidumine" in html(page)
    clock.shift(dt.timedelta(minutes=10, seconds=1))
    response = confirm(mari, flow)
    assert response.status_code == 410 and "10 minuti" in html(response)
    with app.app_context():
        assert len(person_of(world, "alpha/mari").accounts) == 1


# --- refusals ----------------------------------------------------------------------------------

def refused_page(client, username: str = "mari") -> str:
    _, page = run_link(client, username)
    assert page.status_code == 200
    text = html(page)
    assert "Kontosid ei saa siduda" in text
    return text


def assert_not_linked(app, world):
    with app.app_context():
        assert len(person_of(world, "alpha/mari").accounts) == 1
        assert len(person_of(world, "beta/mari").accounts) == 1


def test_link_refused_name_mismatch_names_the_fields(app, client, world):
    verifiable(app, world, "alpha/mari", "beta/mari")
    set_person(app, world, "beta/mari", family_name="Mustikas")
    log_in(client, world.schools["alpha"], "mari")
    text = refused_page(client)
    items = [li.text.strip() for li in find(parse(text), "li")]
    assert "Perekonnanimi" in items and "Eesnimi" not in items
    assert "Mustikas" not in text, "the other account's values are not shown"
    assert_not_linked(app, world)
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "link_refused"))
        assert event.details == {"reason": "mismatch", "fields": ["family_name"]}


def test_link_refused_isikukood_mismatch(app, client, world):
    verifiable(app, world, "alpha/mari")
    verifiable(app, world, "beta/mari", code=IK_OTHER)
    log_in(client, world.schools["alpha"], "mari")
    items = [li.text.strip() for li in find(parse(refused_page(client)), "li")]
    assert "Isikukood" in items and "Sünniaeg" not in items, "the isikukood decides, not the date"
    assert_not_linked(app, world)


def test_link_refused_without_verifiable_data_says_how_to_fix_it(app, client, world):
    set_person(app, world, "alpha/mari", isikukood=IK_MARI)
    log_in(client, world.schools["alpha"], "mari")
    text = refused_page(client)
    assert "Palu kooli Beeta Gümnaasium direktoril lisada sinu kontole sinu isikukood" in text
    assert_not_linked(app, world)


def test_link_refused_same_school_chosen(app, mari, world):
    flow = start(mari)
    page = html(choose(mari, flow, "alpha"))
    assert alerts(page) == ["Oled sisse loginud kooli Alfa Kool kaudu. Vali teine kool."]
    with app.app_context():
        assert db.session.scalar(db.select(LinkFlow)).state == "school"


def test_link_refused_other_person_has_an_account_at_my_school(app, mari, world):
    from idp.services import accounts as account_service
    from idp.services import schools as school_service
    with app.app_context():
        second = account_service.add(school_service.get("alpha"), username="mari2", given_name="Mari",
                                     family_name="Maasikas", roles=["teacher"])
        second.person = person_of(world, "beta/mari")
        db.session.commit()
    text = refused_page(mari)
    assert "Mõlemal profiilil on juba konto koolis Alfa Kool" in text
    with app.app_context():
        assert len(person_of(world, "alpha/mari").accounts) == 1


def test_link_refused_already_linked_school_is_named(app, mari, world):
    with app.app_context():
        account_of(world, "beta/mari").person = person_of(world, "alpha/mari")
        db.session.commit()
    flow = start(mari)
    page = html(choose(mari, flow, "beta"))
    assert alerts(page) == ["Sinu konto koolis Beeta Gümnaasium on juba selle profiiliga seotud."]


def test_link_refused_when_linked_meanwhile(app, mari, world):
    flow = start(mari)
    choose(mari, flow)
    with app.app_context():
        account_of(world, "beta/mari").person = person_of(world, "alpha/mari")
        db.session.commit()
    text = html(login_there(mari, flow))
    assert "on juba selle profiiliga seotud" in text


def test_link_refused_disabled_account(app, mari, world):
    with app.app_context():
        account_of(world, "beta/mari").status = "disabled"
        db.session.commit()
    text = refused_page(mari)
    assert "Konto koolis Beeta Gümnaasium on suletud" in text
    assert_not_linked(app, world)


def test_link_wrong_password_at_the_other_school_is_throttled(app, mari, world):
    flow = start(mari)
    choose(mari, flow)
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
        page = html(login_there(mari, flow, password="wrong password"))
        assert alerts(page) == [WRONG]
        [field] = find(parse(page), "input", name="password")
        assert field.attrs["aria-invalid"] == "true"
    page = html(login_there(mari, flow, password=PASSWORD))
    assert WAIT in page and "Kinnita sidumine" not in page
    with app.app_context():
        school_id = account_of(world, "beta/mari").school_id
        assert db.session.get(LoginThrottle, f"name:{school_id}:mari").failures == 5
        failed = db.session.scalars(db.select(AuditEvent).where(AuditEvent.event == "link_login_failed"))
        assert len(list(failed)) == 5
        assert not db.session.scalar(db.select(SSOSession).where(SSOSession.ended_at.is_not(None)))
    assert is_authorized(mari, world.schools["alpha"]), "the current session is not lost"
    assert_not_linked(app, world)


def test_link_wrong_password_keeps_the_typed_name(app, mari, world):
    flow = start(mari)
    choose(mari, flow)
    page = parse(html(login_there(mari, flow, password="wrong password")))
    [field] = find(page, "input", name="username")
    assert field.attrs["value"] == "mari"


# --- the flow state: bound to this browser's session, single use, ten minutes -------------------

def test_link_flow_of_another_browser_is_not_found(app, mari, world):
    flow = start(mari)
    other = app.test_client()
    login_at_school(other, "alpha", "juhan")
    response = other.get(flow)
    assert response.status_code == 404 and alerts(html(response))
    response = post(other, f"{flow}/school", {"school": "beta"})
    assert response.status_code == 404
    assert app.test_client().get(flow).status_code == 404, "no session at all"
    with app.app_context():
        assert db.session.scalar(db.select(LinkFlow)).state == "school"


def test_link_made_up_flow_id_is_not_found(mari, world):
    assert mari.get("/account/link/" + "x" * 32).status_code == 404
    assert mari.get("/account/link/" + "x" * 500).status_code == 404


def test_link_used_flow_cannot_be_replayed(app, mari, world):
    flow, _ = run_link(mari)
    assert confirm(mari, flow).status_code == 303
    token = token_of(mari)
    response = mari.get(flow)
    assert response.status_code == 410 and "juba lõpetatud" in html(response)
    for step, data in (("confirm", {}), ("login", {"username": "mari", "password": PASSWORD}),
                       ("school", {"school": "beta"})):
        assert mari.post(f"{flow}/{step}", data={"csrf_token": token, **data}).status_code == 410
    with app.app_context():
        assert len(list(db.session.scalars(db.select(PersonMerge)))) == 1


def test_link_cancelled_flow_is_finished(app, mari, world):
    flow = start(mari)
    response = post(mari, f"{flow}/cancel")
    assert response.status_code == 303 and response.location == "/account/"
    assert mari.get(flow).status_code == 410


def test_link_a_new_flow_ends_the_previous_one(app, mari, world):
    first = start(mari)
    second = start(mari)
    assert mari.get(first).status_code == 410 and mari.get(second).status_code == 200


def test_link_expired_flow(app, mari, world, clock):
    flow = start(mari)
    clock.shift(dt.timedelta(minutes=10))
    response = mari.get(flow)
    assert response.status_code == 410 and "10 minuti" in html(response)


def test_link_starts_are_limited_per_session(app, mari, world):
    for _ in range(10):
        start(mari)
    response = post(mari, "/account/link")
    assert response.status_code == 429 and alerts(html(response))


def test_link_forms_need_the_csrf_token(app, mari, world):
    assert mari.post("/account/link").status_code == 400
    flow = start(mari)
    assert mari.post(f"{flow}/school", data={"school": "beta"}).status_code == 400


def test_link_without_a_session_goes_to_the_school_choice(client, world):
    login_page = client.get(client.get("/login/school/alpha").location)  # a form: a CSRF token
    response = client.post("/account/link", data={"csrf_token": csrf_token(html(login_page))})
    assert response.status_code == 303 and response.location == "/account/login"


# --- the merge: data choices, notices, the other person's sessions ------------------------------

def test_link_email_and_phone_choice_is_honoured(app, mari, world):
    set_person(app, world, "alpha/mari", phone="+372 5555 1111")
    set_person(app, world, "beta/mari", email="mari.tood@example.ee", phone="+372 5555 2222")
    flow, page = run_link(mari)
    fieldsets = [f.text for f in find(parse(html(page)), "fieldset")]
    assert any("mari@example.ee" in f and "mari.tood@example.ee" in f for f in fieldsets)
    assert any("+372 5555 1111" in f and "+372 5555 2222" in f for f in fieldsets)
    assert confirm(mari, flow, email="other", phone="current").status_code == 303
    with app.app_context():
        person = person_of(world, "alpha/mari")
        assert (person.email, person.phone) == ("mari.tood@example.ee", "+372 5555 1111")


def test_link_choice_is_required_when_emails_differ(app, mari, world):
    set_person(app, world, "beta/mari", email="mari.tood@example.ee")
    flow, _ = run_link(mari)
    response = confirm(mari, flow, email="neither")
    assert response.status_code == 303 and response.location == flow
    assert alerts(html(mari.get(flow))) == ["Vali, milline e-posti aadress jääb alles."]
    assert_not_linked(app, world)


def test_link_notice_goes_to_both_addresses_in_the_ui_language(app, mari, world):
    set_person(app, world, "beta/mari", email="mari.tood@example.ee")
    mari.get("/lang/en")
    flow, _ = run_link(mari)
    confirm(mari, flow, email="current")
    with app.app_context():
        mails = list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "email")))
    assert sorted(m.target for m in mails) == ["mari.tood@example.ee", "mari@example.ee"]
    for mail in mails:
        assert mail.payload["lang"] == "en"
        assert mail.payload["subject"] == "Your school accounts were linked"
        assert "If this was not you, contact the office of your school" in mail.payload["text"]
        assert "Alfa Kool" in mail.payload["text"] and "Beeta Gümnaasium" in mail.payload["html"]


def test_link_notice_in_estonian_once_for_a_shared_address(app, mari, world):
    flow, _ = run_link(mari)
    confirm(mari, flow)
    with app.app_context():
        [mail] = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "email"))
    assert mail.target == "mari@example.ee" and mail.payload["lang"] == "et"
    assert mail.payload["subject"] == "Sinu koolikontod seoti"
    assert "Kui see polnud sina" in mail.payload["text"]


def test_link_ends_the_other_persons_sessions_with_back_channel_logout(app, mari, world):
    with app.app_context():  # only queued here (nothing is delivered in this test)
        school_service.get("beta").backchannel_logout_uri = "https://beta.school.test/bcl"
        db.session.commit()
    other = app.test_client()
    log_in(other, world.schools["beta"], "mari")  # beta receives tokens in that session
    flow, _ = run_link(mari)
    confirm(mari, flow)
    assert not is_authorized(other, world.schools["beta"])
    with app.app_context():
        [logout] = db.session.scalars(db.select(OutboxMessage).where(
            OutboxMessage.kind == "backchannel_logout"))
        assert logout.target == "https://beta.school.test/bcl"
    assert is_authorized(mari, world.schools["alpha"]) and is_authorized(mari, world.schools["beta"])


def test_link_keeps_the_current_password(app, mari, world):
    from idp.services import accounts as account_service
    from idp.services import schools as school_service
    with app.app_context():
        account_service.change_password(account_service.get(school_service.get("beta"), "mari"),
                                        "beta only password")
        db.session.commit()
    flow = start(mari)
    choose(mari, flow)
    login_there(mari, flow, password="beta only password")
    confirm(mari, flow)
    fresh = app.test_client()
    assert login_at_school(fresh, "beta", "mari", PASSWORD).location == "/account/"
    other = app.test_client()
    response = login_at_school(other, "beta", "mari", "beta only password")
    assert response.status_code == 303 and response.location.startswith("/login/")


# --- accessibility of the flow's pages ----------------------------------------------------------

def _pages(app, client, world):
    set_person(app, world, "beta/mari", email="mari.tood@example.ee")
    flow = start(client)
    yield "school", html(client.get(flow))
    yield "school-error", html(choose(client, flow, "alpha"))
    choose(client, flow)
    yield "login", html(client.get(flow))
    yield "login-error", html(login_there(client, flow, password="wrong password"))
    yield "confirm", html(login_there(client, flow))
    yield "invalid", html(client.get("/account/link/unknown"))


def test_link_pages_have_labels_unique_ids_and_csrf(app, mari, world):
    for name, page_html in _pages(app, mari, world):
        page = parse(page_html)
        labels = {label.attrs.get("for") for label in find(page, "label")}
        for field in find(page, "input"):
            if field.attrs.get("type") != "hidden":
                assert field.attrs.get("id") in labels, (name, field)
        ids = [e.attrs["id"] for e in page if "id" in e.attrs]
        assert len(ids) == len(set(ids)), name
        for form in find(page, "form"):
            assert form.attrs["method"] == "post", name
        assert page_html.count('name="csrf_token"') == len(find(page, "form")), name
        assert all(b.text.strip() for b in find(page, "button")), name
        if name.endswith("error") or name == "invalid":
            assert len(alerts(page_html)) == 1, name
