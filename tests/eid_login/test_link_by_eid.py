"""ID-card and Smart-ID inside "Seo oma konto teise kooliga": a person without a password (or a
teacher, who must use eID) links their schools; the proof goes to the flow, never to a login."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from idp.extensions import db
from idp.models import Account, AuditEvent, LinkFlow, School, SSOSession
from tests.eid.support import ORIGIN, sign_web_eid
from tests.eid_login.conftest import CODES, add
from tests.eid_login.flows import idcard_login, phone_confirms, profile_login_url
from tests.helpers import PASSWORD, csrf_token
from tests.idp.test_linking import alerts, choose, html, login_there, start

pytestmark = pytest.mark.e2e  # the OCSP responder and the Smart-ID stand-in answer over sockets


@pytest.fixture
def juhan_at_beta(app, cast):
    """Juhan (alpha teacher, the test ID-card's person) also teaches at beta: no password there."""
    with app.app_context():
        add("beta", "juhan.kask", "Juhan", "Kask", ["teacher"], CODES["juhan"], password=None)
        db.session.commit()


def account(slug: str, username: str) -> Account:
    return db.session.scalar(db.select(Account).join(School).where(
        School.slug == slug, Account.username == username))


def log_in_by_idcard(client, card_key, certificate) -> None:
    next_url = idcard_login(client, profile_login_url(client, "alpha"), card_key, certificate)
    assert client.get(next_url).status_code == 200


def proof_iid(page: str) -> str:
    """The pending eID login on a flow page (its Smart-ID form posts to /login/<iid>/smartid)."""
    match = re.search(r'action="/login/([^/"]+)/smartid"', page)
    assert match, "no eID login on the page"
    return match.group(1)


def idcard_proof(client, flow: str, card_key, certificate):
    page = html(client.get(flow))
    iid, token = proof_iid(page), csrf_token(page)
    headers = {"X-CSRFToken": token}
    nonce = client.post(f"/login/{iid}/idcard/challenge", headers=headers).get_json()["nonce"]
    signed = sign_web_eid(card_key, certificate, "ES384", origin=ORIGIN, nonce=nonce)
    return client.post(f"/login/{iid}/idcard", json={"token": signed}, headers=headers)


def logged_in_long_ago(app) -> None:
    """The session's login was 11 minutes ago (the flow then asks to confirm it is you)."""
    with app.app_context():
        for sso in db.session.scalars(db.select(SSOSession)):
            sso.auth_time = sso.auth_time - dt.timedelta(minutes=11)
        db.session.commit()


def flow_state() -> str:
    return db.session.scalar(db.select(LinkFlow.state).order_by(LinkFlow.id.desc()).limit(1))


def test_a_teacher_without_a_password_links_by_idcard(app, client, cast, juhan_at_beta,
                                                      card_key, issue_card):
    card = issue_card()
    log_in_by_idcard(client, card_key, card)
    flow = start(client)
    page = html(choose(client, flow))
    assert "ID-kaardi või Smart-ID-ga" in page and 'id="idcard-button"' in page
    answer = idcard_proof(client, flow, card_key, card)
    assert answer.status_code == 200 and answer.get_json() == {"redirect": flow}
    with app.app_context():
        assert flow_state() == "confirm"
    confirm_page = html(client.get(flow))
    assert "Beeta Gümnaasium" in confirm_page
    done = client.post(f"{flow}/confirm", data={"csrf_token": csrf_token(confirm_page)})
    assert done.status_code == 303
    with app.app_context():
        assert account("beta", "juhan.kask").person_id == account("alpha", "juhan").person_id
        methods = db.session.scalars(db.select(AuditEvent.details).where(
            AuditEvent.event == "link_eid_proof")).all()
        assert methods == [{"method": "idcard", "step": "other"}]


def test_linking_by_smartid(app, client, cast, juhan_at_beta, card_key, issue_card, standin):
    log_in_by_idcard(client, card_key, issue_card())
    flow = start(client)
    page = html(choose(client, flow))
    iid = proof_iid(page)
    started = client.post(f"/login/{iid}/smartid", data={"csrf_token": csrf_token(page),
                                                          "personal_code": CODES["juhan"]})
    assert started.status_code == 303 and started.location == f"/login/{iid}/smartid"
    waiting = html(client.get(started.location))
    assert "Beeta Gümnaasium" in waiting  # the phone and the page name the school linked
    phone_confirms(standin, CODES["juhan"])
    status = client.post(f"/login/{iid}/smartid/status",
                         headers={"X-CSRFToken": csrf_token(waiting)}).get_json()
    assert status == {"state": "done", "redirect": flow}
    # asked again (the Web2App tab, or "check again", racing the page's own poll): still done
    again = client.post(f"/login/{iid}/smartid/status",
                        headers={"X-CSRFToken": csrf_token(waiting)}).get_json()
    assert again == {"state": "done", "redirect": flow}
    assert alerts(html(client.get(flow))) == []
    with app.app_context():
        assert flow_state() == "confirm"


def test_an_eid_with_no_account_at_that_school_is_refused(app, client, cast, card_key, issue_card):
    card = issue_card()
    log_in_by_idcard(client, card_key, card)
    flow = start(client)
    choose(client, flow, "gamma")  # Juhan has no account at the kindergarten
    assert idcard_proof(client, flow, card_key, card).get_json() == {"redirect": flow}
    page = html(client.get(flow))
    assert alerts(page) == [
        "Koolis Lasteaed Gamma pole sinu isikukoodiga kontot. Logi sisse sealse konto "
        "kasutajanime ja salasõnaga või palu kooli Lasteaed Gamma direktoril lisada sinu isikukood."]
    with app.app_context():
        assert flow_state() == "login"  # the person may still log in there with a password


def test_a_teachers_password_is_not_enough_in_the_flow_either(app, client, cast, card_key,
                                                              issue_card):
    with app.app_context():
        add("beta", "juhan.kask", "Juhan", "Kask", ["teacher"], CODES["juhan"])
        db.session.commit()
    log_in_by_idcard(client, card_key, issue_card())
    flow = start(client)
    choose(client, flow)
    page = login_there(client, flow, "juhan.kask", PASSWORD)
    assert alerts(html(page)) == [
        "Kooli töötajad logivad sisse ID-kaardi või Smart-ID-ga. Kui sa ei saa neid täna "
        "kasutada, palu kooli direktoril lubada sulle üheks päevaks salasõna."]
    with app.app_context():
        assert flow_state() == "login"


def test_confirming_it_is_you_by_eid_after_ten_minutes(app, client, cast, juhan_at_beta,
                                                       card_key, issue_card):
    card = issue_card()
    log_in_by_idcard(client, card_key, card)
    logged_in_long_ago(app)
    flow = start(client)
    page = html(client.get(flow))
    assert "Kinnita, et see oled sina" in page and 'id="idcard-button"' in page
    assert "Või sisesta oma kooli Alfa Kool konto salasõna (kasutajanimi juhan)." in page
    assert idcard_proof(client, flow, card_key, card).get_json() == {"redirect": flow}
    assert 'name="school"' in html(client.get(flow))  # on to choosing the school
    with app.app_context():
        assert flow_state() == "school"


def test_someone_elses_eid_does_not_confirm_it_is_you(app, client, cast, juhan_at_beta,
                                                      card_key, issue_card):
    log_in_by_idcard(client, card_key, issue_card())
    logged_in_long_ago(app)
    flow = start(client)
    dora_card = issue_card(CODES["dora"], "DORA", "DIREKTOR")
    assert idcard_proof(client, flow, card_key, dora_card).get_json() == {"redirect": flow}
    page = html(client.get(flow))
    assert alerts(page) == ["See ID-kaart või Smart-ID konto kuulub kellelegi teisele. "
                            "Kinnita enda omaga."]
    assert "Kinnita, et see oled sina" in page
    with app.app_context():
        assert flow_state() == "school" and db.session.scalar(
            db.select(LinkFlow.current_auth_at)) is None


def test_the_login_page_of_a_link_proof_is_the_flow(app, client, cast, juhan_at_beta,
                                                    card_key, issue_card):
    """/login/<iid> of a link proof never logs anyone in: it shows the flow."""
    log_in_by_idcard(client, card_key, issue_card())
    flow = start(client)
    page = html(choose(client, flow))
    iid = proof_iid(page)
    response = client.get(f"/login/{iid}")
    assert response.status_code == 303 and response.location == flow
    response = client.post(f"/login/{iid}", data={"username": "juhan.kask", "password": PASSWORD,
                                                  "csrf_token": csrf_token(page)})
    assert response.status_code == 303 and response.location == flow


def test_a_smartid_proof_that_ended_unfinished_is_not_taken_for_done(app, client, cast,
                                                                     juhan_at_beta, card_key,
                                                                     issue_card, standin):
    log_in_by_idcard(client, card_key, issue_card())
    flow = start(client)
    page = html(choose(client, flow))
    iid = proof_iid(page)
    client.post(f"/login/{iid}/smartid", data={"csrf_token": csrf_token(page),
                                                "personal_code": CODES["juhan"]})
    waiting = html(client.get(f"/login/{iid}/smartid"))
    cancelled = client.post(f"/login/{iid}/smartid/cancel", data={"csrf_token": csrf_token(waiting)})
    assert cancelled.status_code == 303 and cancelled.location == flow
    status = client.post(f"/login/{iid}/smartid/status",
                         headers={"X-CSRFToken": csrf_token(waiting)}).get_json()
    assert status == {"state": "failed", "redirect": flow}  # a second tab is told, not sent on
    with app.app_context():
        assert flow_state() == "login"
