"""The login page of a school (/login/<id>), reached through /authorize: Estonian first."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from joserfc import jwt

from idp.extensions import db
from idp.models import Account, SSOSession
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.helpers import PASSWORD, authorize, csrf_token, exchange, query

from ._ui import failed_login_page, find, login_at_school, login_url, normalise, parse, post_login

GENERIC_ERROR = "Kasutajanimi või salasõna on vale."


def text(response) -> str:
    return response.get_data(as_text=True)


def test_UI_estonian_by_default_with_school_name_and_logo(client, world):
    page = client.get(login_url(client, world.schools["alpha"]))
    html = text(page)
    assert page.status_code == 200
    assert '<html lang="et">' in html
    for words in ("Logi sisse", "Kasutajanimi või e-post", "Salasõna", "Alfa Kool"):
        assert words in html
    assert find(parse(html), "img", src="https://alpha.school.test/logo.svg")


def test_UI_non_ascii_school_name_is_shown_intact(client, world):
    html = text(client.get(login_url(client, world.schools["beta"])))
    assert "Beeta Gümnaasium" in html


def test_UI_the_guides_links_are_there_and_every_link_leads_to_a_page(client, world):
    html = text(client.get(login_url(client, world.schools["alpha"])))
    for words in ("Unustasid salasõna?", "Ava kasutajakonto"):  # the seed guide's own words
        assert words in html
    links = [a.attrs.get("href", "") for a in find(parse(html), "a")]
    assert "/recovery/alpha" in links and "/account-request/alpha" in links
    for href in links:
        if not href.startswith(("#", "/lang/")):
            assert client.get(href).status_code == 200, href


def test_OIDC_Core_3_1_2_1_ui_locales_en_gives_english_and_it_sticks(client, world):
    html = text(client.get(login_url(client, world.schools["alpha"], ui_locales="en")))
    assert '<html lang="en">' in html
    for words in ("Log in", "Username or e-mail", "Password"):
        assert words in html
    assert "Salasõna" not in html
    later = text(client.get("/account/login"))
    assert '<html lang="en">' in later and "Choose a school" in later


def test_UI_language_switch_link_changes_language_and_the_choice_sticks(client, world):
    url = login_url(client, world.schools["alpha"])
    links = [a for a in find(parse(text(client.get(url))), "a") if a.text.strip() == "In English"]
    assert len(links) == 1
    switched = client.get(links[0].attrs["href"])
    assert switched.status_code == 302 and switched.location.startswith(url)
    html = text(client.get(switched.location))
    assert '<html lang="en">' in html and "Username or e-mail" in html
    assert '<html lang="en">' in text(client.get("/account/login"))
    back = [a for a in find(parse(html), "a") if a.text.strip() == "Eesti keeles"]
    client.get(back[0].attrs["href"])
    assert "Kasutajanimi või e-post" in text(client.get(url))


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["missing", "wrong"])
def test_CSRF_login_post_without_valid_token_is_refused(app, client, world, token):
    url = login_url(client, world.schools["alpha"])
    client.get(url)
    data = {"username": "mari", "password": PASSWORD}
    if token:
        data["csrf_token"] = token
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "Vorm on aegunud" in text(response) and '<html lang="et">' in text(response)
    assert client.get_cookie("idp_sso") is None
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(SSOSession)) == 0


def test_UI_failed_logins_all_look_the_same(app, client, world):
    """Unknown user, wrong password, disabled account, another school's account: one page."""
    with app.app_context():
        account_service.add(school_service.get("beta"), username="peeter", given_name="Peeter",
                            family_name="Puu", roles=["teacher"], password=PASSWORD)
        db.session.scalar(db.select(Account).where(Account.sub == world.accounts["alpha/juhan"])) \
            .status = "disabled"
        db.session.commit()
    school = world.schools["alpha"]
    cases = {"unknown user": ("tundmatu", PASSWORD), "wrong password": ("mari", "wrong password"),
             "disabled account": ("juhan", PASSWORD), "other school": ("peeter", PASSWORD)}
    pages = {}
    for case, (username, password) in cases.items():
        html = failed_login_page(client, login_url(client, school), username, password)
        assert html.count(GENERIC_ERROR) == 1, case
        pages[case] = normalise(html)
    assert len(set(pages.values())) == 1, "failed logins must not tell what was wrong"
    assert client.get_cookie("idp_sso") is None


def test_OIDC_Core_3_1_2_3_success_is_303_see_other_back_to_authorize(client, world):
    school = world.schools["alpha"]
    url = login_url(client, school)
    response = post_login(client, url, "mari")
    assert response.status_code == 303
    assert response.location.startswith("/authorize?")
    assert query(response.location)["interaction"] == url.rsplit("/", 1)[1]
    final = client.get(response.location)
    assert final.status_code == 302 and final.location.startswith(school["redirect_uri"])
    assert "code" in query(final.location)


@pytest.mark.parametrize("name", ["mari", "MARI", "  Mari ", "mari@example.ee", "Mari@Example.EE"])
def test_UI_login_by_username_or_email_case_insensitively(client, world, name):
    response = login_at_school(client, "alpha", name)
    assert response.status_code == 303 and response.location == "/account/"
    assert "<h1>Mari Maasikas</h1>" in text(client.get("/account/"))


@pytest.mark.parametrize("password,who", [(PASSWORD, "alpha/mari"), (PASSWORD + "!", "alpha/kati")],
                         ids=["parent", "child"])
def test_UI_shared_email_each_password_opens_its_own_account(app, client, world, password, who):
    school = world.schools["alpha"]
    response, verifier, _ = authorize(client, school, "mari@example.ee", password)
    assert response.location.startswith(school["redirect_uri"])
    tokens = exchange(client, school, query(response.location)["code"], verifier).get_json()
    keys = app.extensions["keystore"].verification_keys()
    assert jwt.decode(tokens["id_token"], keys).claims["sub"] == world.accounts[who]


def test_UI_unknown_interaction_gives_friendly_400(client, world):
    response = client.get("/login/no-such-interaction")
    assert response.status_code == 400
    assert "See sisselogimisleht on aegunud" in text(response)
    assert "Traceback" not in text(response)


def test_UI_expired_interaction_gives_friendly_400_and_logs_nobody_in(app, client, world):
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as clock:
        url = login_url(client, world.schools["alpha"])
        token = csrf_token(text(client.get(url)))
        clock.shift(31 * 60)
        response = client.post(url, data={"csrf_token": token, "username": "mari",
                                          "password": PASSWORD})
    assert response.status_code == 400
    assert "See sisselogimisleht on aegunud" in text(response)
    assert client.get_cookie("idp_sso") is None


def test_OIDC_Core_3_1_2_1_login_hint_prefills_the_username(client, world):
    html = text(client.get(login_url(client, world.schools["alpha"], login_hint="mari@example.ee")))
    [field] = find(parse(html), "input", name="username")
    assert field.attrs["value"] == "mari@example.ee"


def test_OIDC_Core_3_1_2_1_login_hint_is_escaped(client, world):
    html = text(client.get(login_url(client, world.schools["alpha"],
                                     login_hint='"><script>alert(1)</script>')))
    assert "<script>" not in html
    [field] = find(parse(html), "input", name="username")
    assert field.attrs["value"] == '"><script>alert(1)</script>'


def test_UI_failed_login_keeps_the_typed_name(client, world):
    url = login_url(client, world.schools["alpha"])
    html = failed_login_page(client, url, "mari", "wrong password")
    [field] = find(parse(html), "input", name="username")
    assert field.attrs["value"] == "mari"
    [password] = find(parse(html), "input", name="password")
    assert password.attrs.get("value", "") == ""


@pytest.mark.parametrize("username,password", [("", PASSWORD), ("mari", ""), ("", "")],
                         ids=["no-username", "no-password", "nothing"])
def test_UI_empty_fields_ask_for_both_and_do_not_count_as_failures(app, client, world,
                                                                  username, password):
    url = login_url(client, world.schools["alpha"])
    html = failed_login_page(client, url, username, password)
    assert "Sisesta kasutajanimi või e-posti aadress ja salasõna." in html
    assert GENERIC_ERROR not in html
    with app.app_context():
        from idp.models import LoginThrottle
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginThrottle)) == 0


@pytest.mark.parametrize("ui_locales,lang", [("en-GB", "en"), ("fr en", "en"), ("fr", "et"),
                                              ("et en", "et"), ("", "et")])
def test_OIDC_Core_3_1_2_1_ui_locales_first_supported_language_wins(client, world, ui_locales, lang):
    html = text(client.get(login_url(client, world.schools["alpha"], ui_locales=ui_locales or None)))
    assert f'<html lang="{lang}">' in html
