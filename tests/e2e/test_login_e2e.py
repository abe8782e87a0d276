"""End to end over real sockets: a demo school, the IdP's login page, back at the school."""

from __future__ import annotations

import html
import re

import requests

from tests.e2e.browserless import csrf_token, login_at_school
from tests.e2e.conftest import PASSWORD


def test_login_at_demo_school_shows_the_person_and_roles(stack):
    browser = requests.Session()
    school = stack.school("noomuusikakool")
    page = login_at_school(browser, school, "mari", PASSWORD)
    assert page.status_code == 200
    assert page.url.startswith(school)
    assert "Mari Maasikas" in page.text
    assert "lapsevanem" in page.text  # the role at this school, in Estonian


def test_wrong_password_stays_on_the_idp_with_one_generic_message(stack):
    browser = requests.Session()
    page = login_at_school(browser, stack.school("noomuusikakool"), "mari", "wrong password")
    assert page.url.startswith(stack.idp.url)
    assert "Kasutajanimi või salasõna on vale." in page.text


def test_logout_at_the_school_ends_the_idp_session(stack):
    browser = requests.Session()
    school = stack.school("noomuusikakool")
    page = login_at_school(browser, school, "mari", PASSWORD)
    logout = browser.post(f"{school}/oidc/logout", data={"csrf_token": csrf_token(page.text)}, timeout=10)
    # the IdP's logout page embeds the schools' front-channel logout URIs, then continues
    assert logout.url.startswith(stack.idp.url) and "Oled välja loginud" in logout.text
    next_url = re.search(r'<meta http-equiv="refresh" content="3;url=([^"]+)">', logout.text).group(1)
    logout = browser.get(html.unescape(next_url), timeout=10)
    assert logout.url.startswith(school)
    assert "Mari Maasikas" not in logout.text
    # the IdP session is gone too: logging in again asks for the password
    again = browser.get(f"{school}/oidc/login", timeout=10)
    assert "/login/" in again.url and again.url.startswith(stack.idp.url)
