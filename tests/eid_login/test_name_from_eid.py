"""After an ID-card or Smart-ID login the person may take over the name on it: the certificate is
the proof, so only capital and small letters may differ from it."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import Account, AuditEvent, School
from tests.eid_login.flows import idcard_login, profile_login_url
from tests.helpers import csrf_token
from tests.idp._ui import login_at_school

pytestmark = pytest.mark.e2e  # the OCSP responder answers over a real socket


def juhan() -> Account:
    return db.session.scalar(db.select(Account).join(School).where(
        School.slug == "alpha", Account.username == "juhan"))


def profile(client) -> str:
    return client.get("/account/").get_data(as_text=True)


def log_in_by_idcard(client, card_key, certificate) -> None:
    next_url = idcard_login(client, profile_login_url(client, "alpha"), card_key, certificate)
    assert client.get(next_url).status_code == 200


def test_the_name_on_the_card_is_offered_and_taken_over(app, client, cast, card_key, issue_card):
    log_in_by_idcard(client, card_key, issue_card())  # the card says JAAK-KRISTJAN JÕEORG
    page = profile(client)
    assert "Sinu ID-kaardil või Smart-ID-s on nimi Jaak-Kristjan Jõeorg." in page
    form = client.get("/account/name").get_data(as_text=True)
    assert 'value="Jaak-Kristjan"' in form and 'value="Jõeorg"' in form
    assert "Sinu koolid tunnevad sind nimega Juhan Kask." in form
    response = client.post("/account/name", data={"csrf_token": csrf_token(form),
                                                  "given_name": "Jaak-Kristjan",
                                                  "family_name": "JÕEORG"})
    assert response.status_code == 303 and response.location == "/account/"
    page = profile(client)
    assert "Sinu nimi on nüüd kõigis sinu koolides Jaak-Kristjan JÕEORG." in page
    assert "Kasuta minu ID-kaardil" not in page  # nothing left to offer
    with app.app_context():
        person = juhan().person
        assert (person.given_name, person.family_name) == ("Jaak-Kristjan", "JÕEORG")
        assert db.session.scalar(db.select(AuditEvent.event).where(
            AuditEvent.event == "name_from_eid")) == "name_from_eid"
    assert client.get("/account/name").status_code == 404


@pytest.mark.parametrize("given, family", [
    ("Juhan", "Jõeorg"), ("Jaak-Kristjan", "Joeorg"), ("Jaak Kristjan", "Jõeorg"), ("", "Jõeorg"),
], ids=["other-given-name", "letter-changed", "hyphen-dropped", "empty"])
def test_only_the_capitalisation_may_differ(app, client, cast, card_key, issue_card, given, family):
    log_in_by_idcard(client, card_key, issue_card())
    form = client.get("/account/name").get_data(as_text=True)
    response = client.post("/account/name", data={"csrf_token": csrf_token(form),
                                                  "given_name": given, "family_name": family})
    assert response.status_code == 200
    assert ("Nimi võib ID-kaardil või Smart-ID-s olevast erineda ainult suur- ja väiketähtede "
            "poolest.") in response.get_data(as_text=True)
    with app.app_context():
        assert juhan().person.name == "Juhan Kask"


def test_no_offer_without_an_eid_login(client, cast):
    login_at_school(client, "alpha", "mari")  # a password login
    assert "Kasuta minu ID-kaardil" not in profile(client)
    assert client.get("/account/name").status_code == 404


def test_no_offer_when_the_card_already_says_the_same(app, client, cast, card_key, issue_card):
    log_in_by_idcard(client, card_key, issue_card(given="JUHAN", family="KASK"))
    assert "Kasuta minu ID-kaardil" not in profile(client)
    assert client.get("/account/name").status_code == 404


def test_the_offer_belongs_to_the_person_who_used_the_card(app, client, cast, card_key,
                                                           issue_card):
    log_in_by_idcard(client, card_key, issue_card())
    login_at_school(client, "alpha", "mari")  # someone else logs in on this browser
    assert "Jõeorg" not in profile(client)
    assert client.get("/account/name").status_code == 404
