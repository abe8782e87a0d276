"""ID-card login through Web eID on the IdP's own origin: a challenge bound to this browser and
used once, the token validated (signature, CA, OCSP), the account found at that school by its
personal code, amr/acr in the ID token."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from idp.extensions import db
from idp.models import AuditEvent, EidVerifiedIdentity, SSOSession, WebEidChallenge
from tests.eid_login.flows import (
    authorize_url,
    code_and_tokens,
    id_token_claims,
    idcard_login,
    idcard_post,
    page_token,
)
from tests.idp._ui import is_authorized

pytestmark = pytest.mark.e2e  # the OCSP responder answers over a real socket


def test_idcard_login_at_school_gives_amr_idcard_and_acr_high(app, client, cast, card_key,
                                                              issue_card, ocsp):
    school = {"client_id": "alpha", **_alpha(app)}
    login, verifier, params = authorize_url(client, school)
    next_url = idcard_login(client, login, card_key, issue_card())
    tokens = code_and_tokens(client, school, next_url, verifier)
    claims = id_token_claims(app, tokens)
    assert claims["sub"] == cast.subs["alpha/juhan"]
    assert claims["amr"] == ["idcard"] and claims["acr"] == "high"
    assert claims["nonce"] == params["nonce"]
    assert ocsp[0].requests == 1  # the card's certificate was checked with its responder


def test_login_page_offers_idcard_with_the_script_served_by_the_idp(client, cast, world):
    login, _, _ = authorize_url(client, world.schools["alpha"])
    page = client.get(login)
    html = page.get_data(as_text=True)
    assert 'id="idcard-button"' in html and "/static/eid/login.js" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script>" not in html  # no inline script (CSP)
    with client.get("/static/eid/webeid.js") as served:  # the library: ours, from our origin
        script = served.get_data(as_text=True)
    assert served.status_code == 200 and 'action: "web-eid:authenticate"' in script


def test_challenge_is_256_bits_bound_to_this_browser_and_used_once(app, client, cast, world,
                                                                   card_key, issue_card):
    login, _, _ = authorize_url(client, world.schools["alpha"])
    token = page_token(client, login)
    nonce = client.post(f"{login}/idcard/challenge", headers={"X-CSRFToken": token}).get_json()[
        "nonce"]
    assert len(nonce) == 44  # Base64 of 32 bytes
    with app.app_context():
        assert db.session.scalar(db.select(WebEidChallenge.nonce)) == nonce
    from tests.eid.support import ORIGIN, sign_web_eid
    signed = sign_web_eid(card_key, issue_card(), "ES384", origin=ORIGIN, nonce=nonce)
    other = app.test_client()  # another browser cannot use this browser's challenge
    other_login, _, _ = authorize_url(other, world.schools["alpha"])
    other_token = page_token(other, other_login)
    stolen = other.post(f"{other_login}/idcard", json={"token": signed},
                        headers={"X-CSRFToken": other_token})
    assert stolen.status_code == 400 and "aegunud või juba kasutatud" in stolen.get_json()["error"]
    first = client.post(f"{login}/idcard", json={"token": signed}, headers={"X-CSRFToken": token})
    assert first.status_code == 200
    again = client.post(f"{login}/idcard", json={"token": signed}, headers={"X-CSRFToken": token})
    assert again.status_code == 400  # single use


def test_challenge_expires_after_five_minutes(client, cast, world, card_key, issue_card):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        login, _, _ = authorize_url(client, world.schools["alpha"])
        token = page_token(client, login)
        nonce = client.post(f"{login}/idcard/challenge",
                            headers={"X-CSRFToken": token}).get_json()["nonce"]
        traveller.shift(301)
        from tests.eid.support import ORIGIN, sign_web_eid
        signed = sign_web_eid(card_key, issue_card(), "ES384", origin=ORIGIN, nonce=nonce)
        late = client.post(f"{login}/idcard", json={"token": signed},
                           headers={"X-CSRFToken": token})
    assert late.status_code == 400 and "aeg sai otsa" in late.get_json()["error"]


def test_post_without_csrf_token_is_refused(client, cast, world):
    login, _, _ = authorize_url(client, world.schools["alpha"])
    client.get(login)
    assert client.post(f"{login}/idcard/challenge").status_code == 400
    assert client.post(f"{login}/idcard", json={"token": {}}).status_code == 400


def test_token_signed_for_another_site_is_refused(client, cast, world, card_key, issue_card):
    login, _, _ = authorize_url(client, world.schools["alpha"])
    response = idcard_post(client, login, card_key, issue_card(), origin="https://evil.example")
    assert response.status_code == 400
    assert response.get_json()["error"] == "ID-kaardi allkirja ei õnnestunud kontrollida. " \
                                           "Proovi uuesti."


def test_revoked_card_is_refused(client, cast, world, card_key, issue_card, ocsp):
    certificate = issue_card()
    ocsp[0].revoked.add(certificate.serial_number)
    login, _, _ = authorize_url(client, world.schools["alpha"])
    response = idcard_post(client, login, card_key, certificate)
    assert response.status_code == 400
    assert "peatatud või tühistatud" in response.get_json()["error"]


def test_card_of_an_unknown_ca_is_refused(client, cast, world, card_key):
    from idp.eid import testpki
    stranger = testpki.make_ca("TEST of ESTEID-like CA (eID login tests)")
    certificate = testpki.idcard_auth_certificate(stranger, card_key.public_key(),
                                                  personal_code="38001085718",
                                                  given_name="JAAK-KRISTJAN", family_name="JÕEORG")
    login, _, _ = authorize_url(client, world.schools["alpha"])
    response = idcard_post(client, login, card_key, certificate)
    assert response.status_code == 400 and "väljastajat ei tunta" in response.get_json()["error"]


def test_messages_follow_the_language_of_the_page(client, cast, world, card_key, issue_card):
    client.get("/lang/en")
    login, _, _ = authorize_url(client, world.schools["alpha"])
    response = idcard_post(client, login, card_key, issue_card(), origin="https://evil.example")
    assert response.get_json()["error"] == "The ID-card signature could not be verified. " \
                                           "Please try again."


def test_no_account_at_the_school_shows_the_seed_page_and_keeps_the_identity(
        app, client, cast, world, card_key, issue_card):
    """The school has not recorded this personal code: the seed's two ways on, and the verified
    identity kept for the account request."""
    certificate = issue_card("60001019906", "MARY ÄNN", "O’CONNEŽ-ŠUSLIK TESTNUMBER")
    login, _, _ = authorize_url(client, world.schools["beta"])
    next_url = idcard_login(client, login, card_key, certificate)
    assert next_url == f"{login}/no-account"
    page = client.get(next_url).get_data(as_text=True)
    assert "Beeta Gümnaasium ei ole sinu isikukoodi registreerinud" in page
    assert "Palu kooli Beeta Gümnaasium direktoril lisada" in page
    assert "Ava kasutajakonto" in page and "esita andmed ja taotle kontot" in page
    assert "60001019906" not in page  # the page names the person, not their code
    with app.app_context():
        row = db.session.scalar(db.select(EidVerifiedIdentity))
        assert (row.isikukood, row.given_name, row.method, row.school.slug) == (
            "60001019906", "MARY ÄNN", "idcard", "beta")
    # the school's request form ("esita andmed ja taotle kontot"), given the verified identity
    assert re.search(rf'href="/(account-request/beta/new\?i=[^"]+&amp;|request-account/beta\?)'
                     rf'eid={row.token}"', page), page
    with client.session_transaction() as cookie:
        assert cookie["eid_verified_identity"] == row.token
    with app.app_context():
        assert db.session.scalar(db.select(SSOSession.id)) is None  # nobody was logged in
        event = db.session.scalar(db.select(AuditEvent).where(
            AuditEvent.event == "eid_login_no_account"))
        assert event.details["isikukood"] == "6*********6"


def test_linked_person_is_logged_in_at_all_linked_schools(app, client, cast, world, card_key,
                                                          issue_card):
    """Mari (ANNE's code) is linked at alpha, beta and gamma: one ID-card login covers all."""
    certificate = issue_card("40404040009", "ANNE", "TESTNUMBER")
    login, _, _ = authorize_url(client, world.schools["alpha"])
    client.get(idcard_login(client, login, card_key, certificate))
    assert is_authorized(client, world.schools["beta"])


def _alpha(app) -> dict:
    from tests.helpers import SECRETS, school_base
    return {"secret": SECRETS["alpha"], "redirect_uri": f"{school_base('alpha')}/cb"}
