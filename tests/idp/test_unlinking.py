"""Unlinking ("Eemalda sidumine"): one school's account gets a person of its own again, and the
person's sessions stop covering it at once, in every browser and at that school."""

from __future__ import annotations

from idp.extensions import db
from idp.models import AuditEvent, OutboxMessage, Person, SessionParticipant, Token
from idp.services import schools as school_service
from tests.helpers import PASSWORD, auth_params, pkce_pair

from ._protocol import assert_error_redirect, log_in, refresh
from ._ui import find, is_authorized, login_at_school, parse
from .test_linking import IK_MARI, account_of, alerts, confirm, html, person_of, post, run_link, verifiable

BUTTON = "Eemalda sidumine"


def linked(app, client, world):
    """Mari logs in at alpha and links beta; then beta receives tokens in her session."""
    verifiable(app, world, "alpha/mari", "beta/mari")
    log_in(client, world.schools["alpha"], "mari")
    flow, _ = run_link(client)
    assert confirm(client, flow).status_code == 303
    return log_in(client, world.schools["beta"], "mari")


def unlink_url(app, world, key: str) -> str:
    with app.app_context():
        return f"/account/unlink/{account_of(world, key).id}"


def messages(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))


def test_unlink_separates_the_account_and_logs_that_school_out(app, client, world):
    beta_tokens = linked(app, client, world)
    with app.app_context():
        # only queued here (nothing is delivered in this test)
        school_service.get("beta").backchannel_logout_uri = "https://beta.school.test/bcl"
        db.session.commit()
        before = len(messages("email"))
    profile = parse(html(client.get("/account/")))
    [link] = [a for a in find(profile, "a") if a.text.strip() == BUTTON]
    assert link.attrs["href"] == unlink_url(app, world, "beta/mari")
    assert link.attrs["aria-label"] == "Eemalda sidumine: Beeta Gümnaasium"
    page = client.get(link.attrs["href"])
    text = html(page)
    assert page.status_code == 200
    for words in ("Kas eemaldada sidumine kooliga Beeta Gümnaasium?", "sellel ei ole salasõna",
                  "„unustasid salasõna?“", "ID-kaardi või Smart-ID-ga", "Alfa Kool"):
        assert words in text, words

    response = post(client, link.attrs["href"])
    assert response.status_code == 303 and response.location == "/account/"
    assert "Kool Beeta Gümnaasium ei ole enam sinu teiste koolidega seotud." in html(client.get("/account/"))

    with app.app_context():
        alpha_person, beta_person = person_of(world, "alpha/mari"), person_of(world, "beta/mari")
        assert alpha_person.id != beta_person.id
        assert [a.sub for a in beta_person.accounts] == [world.accounts["beta/mari"]]
        assert beta_person.password_hash is None and alpha_person.password_hash
        assert (beta_person.name, beta_person.isikukood, beta_person.email) == \
            ("Mari Maasikas", IK_MARI, "mari@example.ee")
        beta_id = account_of(world, "beta/mari").school_id
        [logout] = [m for m in messages("backchannel_logout") if m.school_id == beta_id]
        assert logout.target == "https://beta.school.test/bcl"
        assert not db.session.scalar(db.select(SessionParticipant).where(
            SessionParticipant.school_id == beta_id))
        assert all(t.revoked_at for t in db.session.scalars(db.select(Token).where(
            Token.account_id == account_of(world, "beta/mari").id)))
        [mail] = messages("email")[before:]  # parent's one address: one notice
        assert mail.target == "mari@example.ee"
        assert mail.payload["subject"] == "Sinu konto koolis Beeta Gümnaasium eraldati"
        assert "Kui see polnud sina" in mail.payload["text"]
        events = list(db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.event == "account_unlinked")))
        assert {(e.school_id, e.person_id) for e in events} == {
            (beta_id, beta_person.id), (account_of(world, "alpha/mari").school_id, alpha_person.id)}

    # beta now needs a fresh login; alpha still answers from the session
    beta = world.schools["beta"]
    _, challenge = pkce_pair()
    params = auth_params(beta, challenge, prompt="none")
    assert_error_redirect(client.get("/authorize", query_string=params), beta, "login_required",
                          params["state"])
    assert is_authorized(client, world.schools["alpha"])
    assert refresh(client, beta, beta_tokens["refresh_token"]).status_code == 400


def test_unlinked_account_has_no_password(app, client, world):
    linked(app, client, world)
    post(client, unlink_url(app, world, "beta/mari"))
    other = app.test_client()
    response = login_at_school(other, "beta", "mari", PASSWORD)
    assert response.status_code == 303 and response.location.startswith("/login/")
    assert login_at_school(app.test_client(), "alpha", "mari").location == "/account/"


def test_unlink_ends_sessions_that_logged_in_through_that_school(app, client, world):
    linked(app, client, world)
    other = app.test_client()
    log_in(other, world.schools["beta"], "mari")  # the same person, through beta's login page
    assert is_authorized(other, world.schools["alpha"])
    post(client, unlink_url(app, world, "beta/mari"))
    assert not is_authorized(other, world.schools["alpha"])
    assert not is_authorized(other, world.schools["beta"])
    assert is_authorized(client, world.schools["alpha"])


def test_unlink_of_the_account_logged_in_through_is_refused_and_explained(app, client, world):
    linked(app, client, world)
    url = unlink_url(app, world, "alpha/mari")
    profile = parse(html(client.get("/account/")))
    assert [a.attrs["href"] for a in find(profile, "a") if a.text.strip() == BUTTON] == \
        [unlink_url(app, world, "beta/mari")]
    page = html(client.get(url))
    assert alerts(page) == ["Logisid sisse kooli Alfa Kool kaudu, seega selle sidumist ei saa praegu "
                            "eemaldada: kool, mille kaudu sisse logid, jätab alles sinu salasõna."]
    assert "logi sisse mõne teise oma kooli kaudu" in page and not find(parse(page), "form")
    response = post(client, url)
    assert response.status_code == 409
    with app.app_context():
        assert len(person_of(world, "alpha/mari").accounts) == 2


def test_unlink_without_a_link_is_refused(app, client, world):
    login_at_school(client, "alpha", "mari")
    url = unlink_url(app, world, "alpha/mari")
    assert BUTTON not in html(client.get("/account/"))
    response = post(client, url)
    assert response.status_code == 409
    assert "ei ole seotud ühegi teise kooliga" in html(response)


def test_unlink_someone_elses_account_is_not_found(app, client, world):
    login_at_school(client, "alpha", "mari")
    url = unlink_url(app, world, "alpha/juhan")
    assert client.get(url).status_code == 404
    assert post(client, url).status_code == 404
    with app.app_context():
        assert person_of(world, "alpha/juhan").password_hash


def test_unlink_needs_a_session_and_the_csrf_token(app, client, world):
    linked(app, client, world)
    url = unlink_url(app, world, "beta/mari")
    assert client.post(url).status_code == 400
    assert app.test_client().get(url).location == "/account/login"
    with app.app_context():
        assert len(person_of(world, "alpha/mari").accounts) == 2


def test_unlink_then_link_again(app, client, world):
    linked(app, client, world)
    post(client, unlink_url(app, world, "beta/mari"))
    with app.app_context():
        from idp.services import accounts as account_service
        from idp.services import schools as school_service
        account_service.change_password(account_service.get(school_service.get("beta"), "mari"),
                                        "a new beta password")
        db.session.commit()
    from .test_linking import choose, login_there, start
    flow = start(client)
    choose(client, flow)
    assert "Kinnita sidumine" in html(login_there(client, flow, password="a new beta password"))
    assert confirm(client, flow).status_code == 303
    with app.app_context():
        assert len(person_of(world, "alpha/mari").accounts) == 2
        assert db.session.scalar(db.select(db.func.count(Person.id))) == 5  # 4, +1 separated


def test_unlink_page_is_accessible(app, client, world):
    linked(app, client, world)
    page = parse(html(client.get(unlink_url(app, world, "beta/mari"))))
    [title] = find(page, "title")
    assert title.text.strip()
    assert [b.text.strip() for b in find(page, "button")] == [BUTTON]
    assert [f.attrs["method"] for f in find(page, "form")] == ["post"]
