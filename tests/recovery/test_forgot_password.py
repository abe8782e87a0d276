"""\"unustasid salasõna?\": ask with a name, get a one-time link by e-mail (through the outbox
and a real SMTP server), open it anywhere, choose a password, continue to the school."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import time_machine

from idp.extensions import db
from idp.models import AuditEvent, RecoveryToken, SSOSession
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.helpers import PASSWORD, auth_params, csrf_token, exchange, pkce_pair, query
from tests.idp._ui import is_authorized, login_at_school, login_url, post_login

from .support import (
    ISSUER,
    ask_for_link,
    deliver_mail,
    html,
    html_of,
    links_in,
    normalise,
    path,
    pending_mail,
    received,
    set_password,
    text_of,
)

NEW_PASSWORD = "mustikad ja maasikad"
#: tomorrow morning: later than every password set while the test world was built
T0 = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)


def mail_for(app, smtp_server, client, slug: str, name: str, to: str, **kw) -> list[str]:
    """Ask for a link, let the worker deliver it, return the links mailed to ``to``."""
    before = len(smtp_server.messages)
    response = ask_for_link(client, slug, name, **kw)
    assert response.status_code == 303, response.status_code
    deliver_mail(app)
    mails = received(smtp_server, to, before)
    assert len(mails) == 1, [m["to"] for m in smtp_server.messages[before:]]
    return links_in(mails[0])


def tokens(app) -> list[RecoveryToken]:
    with app.app_context():
        return list(db.session.scalars(db.select(RecoveryToken).order_by(RecoveryToken.id)))


# --- the login page ------------------------------------------------------------------------

def test_login_page_links_to_forgot_password_and_account_request(client, world):
    page = html(client.get(login_url(client, world.schools["alpha"])))
    assert 'href="/recovery/alpha">Unustasid salasõna?</a>' in page
    assert 'href="/account-request/alpha">Ava kasutajakonto</a>' in page


def test_login_page_explains_the_ways_in_without_e_mail_in_the_guides_words(app, client, world):
    page = html(client.get(login_url(client, world.schools["alpha"])))
    for words in ("Kui profiilis (õiget) meiliaadressi ei ole, on sisse logimiseks sellised variandid:",
                  ("saad sisse logida ID-kaardi või Smart-IDga (ja seejärel soovi korral endale sobiva "
                   "salasõna määrata ja muid profiili andmeid täiendada)"),
                  "kui profiilis pole ka isikukoodi, on sul kaks varianti:",
                  "palu oma meiliaadress ja/või isikukood lisada kooli direktoril.",
                  ("klõpsa sisselogimislehel oleval nupul “Ava kasutajakonto” > “esita andmed ja "
                   "taotle kontot”. Kui administraator on taotluse üle vaadanud ja heaks kiitnud, saad "
                   "meiliaadressile info sisse logimise kohta.")):
        assert words in page, words
    assert "smart-id" not in page.lower().split("variandid:")[1].split("</li>")[0].replace(
        "smart-idga", "")  # the text only: no link to a feature that does not exist yet
    with app.app_context():
        school_service.get("beta").kind = "music_school"
        db.session.commit()
    page = html(client.get(login_url(client, world.schools["beta"])))
    assert "palu oma meiliaadress ja/või isikukood lisada muusikakooli direktoril." in page


# --- asking for a link ---------------------------------------------------------------------

def test_the_answer_is_the_same_whether_or_not_anything_matches(app, world, smtp_server):
    before = len(smtp_server.messages)
    answers = []
    for name in ("Mari Maasikas", "Nobody Nowhere"):
        client = app.test_client()
        posted = ask_for_link(client, "alpha", name)
        page = client.get(posted.location)
        answers.append((posted.status_code, posted.location, normalise(html(posted)),
                        page.status_code, normalise(html(page))))
    assert answers[0] == answers[1]
    assert answers[0][0] == 303 and answers[0][3] == 200
    assert "Vaata oma meili" in answers[0][4]
    # the match queued one message; nothing went out while answering (the worker sends it)
    assert len(pending_mail(app)) == 1
    assert len(smtp_server.messages) == before


def test_the_request_does_the_same_database_work_either_way(app, world):
    from sqlalchemy import event

    def statements(name: str) -> list[str]:
        seen = []
        with app.app_context():
            engine = db.engine

        def record(conn, cursor, statement, *args):
            seen.append(statement.split()[0])
        client = app.test_client()
        page = client.get("/recovery/alpha")
        event.listen(engine, "before_cursor_execute", record)
        try:
            client.post("/recovery/alpha", data={"csrf_token": csrf_token(html(page)), "name": name})
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return seen

    hit, miss = statements("Juhan Kask"), statements("Jaan Kask")
    # the same lookups, the same revoking update, the same audit row; a hit adds its link and mail
    assert [s for s in hit if s != "INSERT"] == [s for s in miss if s != "INSERT"]
    assert hit.count("INSERT") == miss.count("INSERT") + 2


@pytest.mark.parametrize("typed", ["Mari Maasikas", "maasikas   MARI", "MARI", " mari "])
def test_name_or_username_finds_the_account(app, world, smtp_server, client, typed):
    [link] = mail_for(app, smtp_server, client, "alpha", typed, "mari@example.ee")
    with app.app_context():
        [token] = db.session.scalars(db.select(RecoveryToken))
        assert token.account.username == "mari"
    assert link.startswith(f"{ISSUER}/recovery-link/")


def test_a_shared_e_mail_address_gets_one_message_with_a_link_per_account(app, world, smtp_server, client):
    before = len(smtp_server.messages)
    ask_for_link(client, "alpha", "MARI@example.ee")
    deliver_mail(app)
    [mail] = received(smtp_server, "mari@example.ee", before)
    text = text_of(mail)
    assert "Mari Maasikas (kasutajanimi mari)" in text and "Kati Maasikas (kasutajanimi kati)" in text
    assert len(links_in(mail)) == 2
    # beta's Mari (another school) is not part of it
    with app.app_context():
        slugs = {t.account.school.slug for t in db.session.scalars(db.select(RecoveryToken))}
    assert slugs == {"alpha"}


def test_only_the_schools_own_accounts_are_found(app, world, smtp_server, client):
    ask_for_link(client, "beta", "Kati Maasikas")  # Kati has an account at alpha only
    assert pending_mail(app) == [] and tokens(app) == []


def test_accounts_without_e_mail_or_disabled_get_nothing(app, world, client):
    with app.app_context():
        account_service.add(school_service.get("alpha"), username="peeter", given_name="Peeter",
                            family_name="Paju", roles=["parent"], password=PASSWORD)
        juhan = account_service.get(school_service.get("alpha"), "juhan")
        account_service.disable_account(juhan, actor="test", via="test")
        db.session.commit()
    for name in ("Peeter Paju", "juhan"):
        assert ask_for_link(client, "alpha", name).status_code == 303
    assert pending_mail(app) == [] and tokens(app) == []


def test_the_mail_is_in_estonian_with_text_and_html_and_links_built_from_the_issuer(
        app, world, smtp_server, client):
    before = len(smtp_server.messages)
    ask_for_link(client, "alpha", "juhan", Host="evil.example")
    deliver_mail(app)
    [mail] = received(smtp_server, "juhan@example.ee", before)
    message = mail["message"]
    assert message["Subject"] == "Logi sisse ja vali salasõna: Alfa Kool"
    assert message["Content-Language"] == "et"
    text = text_of(mail)
    assert "Sinu kasutajanimi on juhan. Sellel lingil klõpsates saad sisse logida ja endale salasõna valida:" in text
    assert "Link töötab ühe korra ja kehtib 30 minutit." in text
    [link] = links_in(mail)
    assert f'<a href="{link}">' in html_of(mail)
    assert "evil.example" not in text and "evil.example" not in html_of(mail)


def test_the_mail_follows_the_language_of_the_page(app, world, smtp_server, client):
    client.get("/lang/en")
    before = len(smtp_server.messages)
    ask_for_link(client, "alpha", "juhan")
    deliver_mail(app)
    [mail] = received(smtp_server, "juhan@example.ee", before)
    assert mail["message"]["Subject"] == "Log in and choose a password: Alfa Kool"
    assert "Your username is juhan." in text_of(mail)


def test_the_token_is_stored_only_as_its_sha256_digest(app, world, smtp_server, client):
    import hashlib
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    value = link.rsplit("/", 1)[1]
    [token] = tokens(app)
    assert token.digest == hashlib.sha256(value.encode()).hexdigest()
    with app.app_context():
        rows = db.session.execute(RecoveryToken.__table__.select()).all()
    assert value not in repr(rows)


# --- using the link ------------------------------------------------------------------------

def test_the_link_logs_in_sets_the_password_and_goes_to_the_school(app, world, smtp_server, client):
    [link] = mail_for(app, smtp_server, client, "alpha", "Juhan Kask", "juhan@example.ee")
    page = html(client.get(path(link)))
    assert "Tere, Juhan Kask! Vali uus salasõna ja oledki sisse logitud." in page
    assert "Vali vähemalt 8 märgi pikkune salasõna." in page  # the rules before typing
    response = set_password(client, link, NEW_PASSWORD)
    assert response.status_code == 303
    # no pending login in this browser: into the school's Stuudium (third-party initiated login)
    assert response.location == "https://alpha.school.test/login?iss=http%3A%2F%2Fidp.test"
    assert is_authorized(client, world.schools["alpha"])
    with app.app_context():
        sso = db.session.scalar(db.select(SSOSession).where(SSOSession.ended_at.is_(None)))
        assert sso.amr == ["email"]
        juhan = account_service.get(school_service.get("alpha"), "juhan")
        assert juhan.person.email_verified
        events = [e.event for e in db.session.scalars(db.select(AuditEvent))]
        assert "recovery_link_used" in events and "password_set" in events
    other = app.test_client()
    assert post_login(other, login_url(other, world.schools["alpha"]), "juhan", PASSWORD).location.startswith("/login/")
    assert post_login(other, login_url(other, world.schools["alpha"]), "juhan", NEW_PASSWORD).location.startswith("/authorize")


def test_the_pending_authorization_request_continues_in_the_same_browser(app, world, smtp_server, client):
    school = world.schools["alpha"]
    verifier, challenge = pkce_pair()
    params = auth_params(school, challenge)
    start = client.get("/authorize", query_string=params)
    iid = start.location.rsplit("/", 1)[1]
    assert f'href="/login/{iid}">Tagasi sisselogimislehele' in html(client.get("/recovery/alpha"))
    [link] = mail_for(app, smtp_server, client, "alpha", "Juhan Kask", "juhan@example.ee")
    response = set_password(client, link, NEW_PASSWORD)
    assert response.location.startswith("/authorize?") and f"interaction={iid}" in response.location
    back = client.get(response.location)
    assert back.status_code == 302 and back.location.startswith(school["redirect_uri"])
    assert query(back.location)["state"] == params["state"]
    tokens_ = exchange(client, school, query(back.location)["code"], verifier).get_json()
    payload = tokens_["id_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["amr"] == ["email"] and claims["acr"] == "low"


def test_the_link_works_in_another_browser(app, world, smtp_server, client):
    start = client.get("/authorize", query_string=auth_params(world.schools["alpha"], pkce_pair()[1]))
    iid = start.location.rsplit("/", 1)[1]
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    with app.app_context():
        assert db.session.scalar(db.select(RecoveryToken.interaction)) == iid
    phone = app.test_client()  # another device: no UI cookie, no pending login
    response = set_password(phone, link, NEW_PASSWORD)
    assert response.status_code == 303
    assert response.location == "https://alpha.school.test/login?iss=http%3A%2F%2Fidp.test"
    assert is_authorized(phone, world.schools["alpha"])
    assert not is_authorized(client, world.schools["alpha"])


def test_a_school_without_initiate_login_uri_gets_a_page_that_says_where_to_go(app, world, smtp_server, client):
    with app.app_context():
        school_service.get("alpha").initiate_login_uri = None
        db.session.commit()
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    response = set_password(app.test_client(), link, NEW_PASSWORD)
    assert response.location == "/recovery/alpha/done"
    assert "Oled sisse logitud. Mine tagasi Stuudiumisse (Alfa Kool)" in html(client.get(response.location))


def test_the_link_works_once(app, world, smtp_server, client):
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    assert set_password(client, link, NEW_PASSWORD).status_code == 303
    again = app.test_client().get(path(link))
    assert again.status_code == 410
    assert "Seda linki on juba kasutatud: iga link töötab ainult ühe korra." in html(again)
    assert 'href="/recovery/alpha"' in html(again)


def test_the_link_expires_after_30_minutes(app, world, smtp_server):
    with time_machine.travel(T0, tick=False) as traveller:
        client = app.test_client()
        [first] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
        traveller.shift(dt.timedelta(minutes=29, seconds=59))
        assert client.get(path(first)).status_code == 200
        traveller.shift(dt.timedelta(seconds=1))
        expired = client.get(path(first))
        assert expired.status_code == 410 and "Selle lingi kehtivus on lõppenud." in html(expired)
        page = client.post(path(first), data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
        assert page.status_code in (400, 410)


@pytest.mark.parametrize("app_config", [{"RECOVERY_LINK_LIFETIME": 600}], indirect=True)
def test_the_lifetime_is_configurable(app, world, smtp_server):
    with time_machine.travel(T0, tick=False) as traveller:
        client = app.test_client()
        [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
        traveller.shift(dt.timedelta(minutes=10))
        assert client.get(path(link)).status_code == 410


def test_a_newer_link_ends_the_older_one(app, world, smtp_server, client):
    [older] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    [newer] = mail_for(app, smtp_server, client, "alpha", "Juhan Kask", "juhan@example.ee")
    dead = client.get(path(older))
    assert dead.status_code == 410 and "Vahepeal on saadetud uuem link" in html(dead)
    assert set_password(client, newer, NEW_PASSWORD).status_code == 303


def test_a_password_change_ends_the_link(app, world, smtp_server, client):
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    with app.app_context():
        account_service.change_password(account_service.get(school_service.get("alpha"), "juhan"),
                                        "changed by the office")
        db.session.commit()
    dead = client.get(path(link))
    assert dead.status_code == 410 and "Salasõna on pärast selle lingi saatmist muudetud." in html(dead)


def test_using_a_link_ends_the_other_links_and_sessions_of_the_person(app, world, smtp_server):
    laptop, phone = app.test_client(), app.test_client()
    assert login_at_school(laptop, "alpha", "juhan").status_code == 303
    [link] = mail_for(app, smtp_server, phone, "alpha", "juhan", "juhan@example.ee")
    assert set_password(phone, link, NEW_PASSWORD).status_code == 303
    assert laptop.get("/account/").status_code == 302  # logged out: the old password is gone
    assert phone.get("/account/").status_code == 200


def test_an_e_mail_address_changed_since_ends_the_link(app, world, smtp_server, client):
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    with app.app_context():
        account_service.get(school_service.get("alpha"), "juhan").person.email = "juhan@uus.ee"
        db.session.commit()
    dead = client.get(path(link))
    assert dead.status_code == 410 and "meiliaadress on pärast selle lingi saatmist muutunud" in html(dead)


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 5000, "%00", "ä€😀"])
def test_a_wrong_link_is_a_friendly_404(client, world, token):
    response = client.get(f"/recovery-link/{token}")
    assert response.status_code == 404
    assert "See link ei kehti." in html(response)


# --- limits --------------------------------------------------------------------------------

def test_at_most_three_links_per_account_per_hour(app, world, smtp_server):
    with time_machine.travel(T0, tick=False) as traveller:
        client = app.test_client()
        before = len(smtp_server.messages)
        answers = set()
        for _ in range(5):
            posted = ask_for_link(client, "alpha", "juhan")
            answers.add((posted.status_code, posted.location))
        deliver_mail(app)
        assert answers == {(303, "/recovery/alpha/sent")}
        assert len(received(smtp_server, "juhan@example.ee", before)) == 3
        traveller.shift(dt.timedelta(hours=1, seconds=1))
        ask_for_link(client, "alpha", "juhan")
        deliver_mail(app)
        assert len(received(smtp_server, "juhan@example.ee", before)) == 4
    with app.app_context():
        throttled = [e.details["throttled"] for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.event == "recovery_requested"))]
    assert throttled == [0, 0, 0, 1, 1, 0]


@pytest.mark.parametrize("app_config", [{"RECOVERY_ADDRESS_LIMIT": "2 per hour"}], indirect=True)
def test_requests_are_limited_per_client_address(app, world, client):
    for name in ("a", "b"):
        assert ask_for_link(client, "alpha", name).status_code == 303
    page = client.get("/recovery/alpha")
    refused = client.post("/recovery/alpha", data={"csrf_token": csrf_token(html(page)), "name": "c"})
    assert refused.status_code == 429
    assert "Sinu võrgust on lühikese ajaga tulnud liiga palju päringuid." in html(refused)
    other = app.test_client()
    page = other.get("/recovery/alpha", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.post("/recovery/alpha", data={"csrf_token": csrf_token(html(page)), "name": "c"},
                      environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 303


# --- the password rules --------------------------------------------------------------------

@pytest.mark.parametrize("password, message", [
    ("lühike7", "Salasõnas peab olema vähemalt 8 märki."),
    ("password1", "See on üks kõige levinumaid salasõnu"),
    ("PassWord1", "See on üks kõige levinumaid salasõnu"),
    ("Salasõna123", "See on üks kõige levinumaid salasõnu"),
    ("Juhan Kask", "Salasõna ei tohi olla sinu nimi, kasutajanimi ega meiliaadress."),
    ("juhankask2024!", "Salasõna ei tohi olla sinu nimi, kasutajanimi ega meiliaadress."),
    ("juhan@example.ee", "Salasõna ei tohi olla sinu nimi, kasutajanimi ega meiliaadress."),
    ("        ", "Sisesta uus salasõna."),
])
def test_refused_passwords_are_explained_next_to_the_field(app, world, smtp_server, client, password, message):
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    response = set_password(client, link, password)
    assert response.status_code == 422
    page = html(response)
    assert message in page
    assert 'role="alert"' in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="password-error password-rules"' in page
    assert client.get(path(link)).status_code == 200  # the link still works


def test_the_two_passwords_must_be_the_same(app, world, smtp_server, client):
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    response = set_password(client, link, NEW_PASSWORD, repeat=NEW_PASSWORD + "!")
    assert response.status_code == 422 and "Kaks salasõna ei ole ühesugused." in html(response)


@pytest.mark.parametrize("password", [
    "kaheksa!",                                  # exactly 8
    "Öösel õitsevad ülased ja jänesed jooksevad üle õue " * 2,  # long, Unicode, spaces
    "x" * 64 + "🐸",
])
def test_any_characters_and_long_passwords_are_welcome(app, world, smtp_server, client, password):
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    assert set_password(client, link, password).status_code == 303
    other = app.test_client()
    assert post_login(other, login_url(other, world.schools["alpha"]), "juhan", password).location.startswith("/authorize")


def test_the_shared_policy_refuses_common_passwords_case_insensitively(ctx):
    from idp.login.password_policy import PasswordRefused, check
    for password in ("iloveyou", "ILoveYou", "qwertyuiop", "1q2w3e4r5t"):
        with pytest.raises(PasswordRefused, match="levinumaid"):
            check(password, None)
    check("correct horse battery", None)
    with pytest.raises(PasswordRefused, match="vähemalt 8"):
        check("short", None)


def test_the_common_password_list_is_shipped_and_loaded():
    from idp.data import COMMON_PASSWORDS, common_passwords, is_common_password
    lines = [ln for ln in COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
             if ln and not ln.startswith("#")]
    assert 10_000 <= len(lines) <= 10_100
    assert len(common_passwords()) >= 10_000
    assert is_common_password("123456") and is_common_password(" Qwerty ")
    assert is_common_password("SALASÕNA") and not is_common_password("mustikad ja maasikad")


# --- accessibility -------------------------------------------------------------------------

def pages(app, client, smtp_server):
    yield "start", html(client.get("/recovery/alpha"))
    yield "start-error", html(client.post("/recovery/alpha", data={
        "csrf_token": csrf_token(html(client.get("/recovery/alpha"))), "name": ""}))
    posted = ask_for_link(client, "alpha", "juhan")
    yield "sent", html(client.get(posted.location))
    deliver_mail(app)
    [mail] = received(smtp_server, "juhan@example.ee")[-1:]
    [link] = links_in(mail)
    yield "set-password", html(client.get(path(link)))
    yield "set-password-error", html(set_password(client, link, "short"))
    yield "dead-link", html(client.get("/recovery-link/nothing"))


def test_every_page_is_accessible(app, world, smtp_server, client):
    from tests.idp._ui import find, parse
    for name, page in pages(app, client, smtp_server):
        elements = parse(page)
        [root] = find(elements, "html")
        assert root.attrs.get("lang") == "et", name
        assert find(elements, "title")[0].text.strip(), name
        assert find(elements, "a")[0].attrs["href"] == "#main", name
        labels = {label.attrs.get("for") for label in find(elements, "label")}
        for field in find(elements, "input") + find(elements, "textarea"):
            if field.attrs.get("type") != "hidden":
                assert field.attrs.get("id") in labels, (name, field)
        ids = [e.attrs["id"] for e in elements if "id" in e.attrs]
        assert len(ids) == len(set(ids)), name
        assert not find(elements, "script"), name
        for form in find(elements, "form"):
            assert form.attrs["method"] == "post", name
        if name.endswith("error"):
            alerts = [e for e in elements if e.attrs.get("role") == "alert"]
            assert alerts, name
            invalid = [e for e in elements if e.attrs.get("aria-invalid") == "true"]
            assert invalid and all(e.attrs.get("aria-describedby") for e in invalid), name


def test_every_form_needs_its_csrf_token(app, world, smtp_server, client):
    assert client.post("/recovery/alpha", data={"name": "juhan"}).status_code == 400
    [link] = mail_for(app, smtp_server, client, "alpha", "juhan", "juhan@example.ee")
    refused = client.post(path(link), data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert refused.status_code == 400
    assert client.get(path(link)).status_code == 200  # not used up


def test_unknown_or_disabled_schools_answer_404(app, world, client):
    assert client.get("/recovery/nowhere").status_code == 404
    with app.app_context():
        school_service.get("beta").enabled = False
        db.session.commit()
    assert client.get("/recovery/beta").status_code == 404
    assert client.get("/recovery/beta/sent").status_code == 404
