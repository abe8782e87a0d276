"""A person logs in at a demo school in a real browser, in Estonian and in English."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_login_at_school_in_estonian(stack, page):
    school = stack.school("noomuusikakool")
    page.goto(school)
    page.get_by_role("button", name="Logi sisse").click()
    page.wait_for_url(f"{stack.idp.url}/login/**")
    assert page.locator("html").get_attribute("lang") == "et"
    assert page.get_by_role("heading", name="Nõo Muusikakool").is_visible()
    screenshot(page, "idp-login-et")
    page.get_by_label("Kasutajanimi või e-post").fill("mari")
    page.get_by_label("Salasõna").fill(PASSWORD)
    page.get_by_role("button", name="Logi sisse").click()
    page.wait_for_url(f"{school}/**")
    assert page.get_by_role("heading", name="Tere, Mari Maasikas!").is_visible() or \
        "Mari Maasikas" in page.content()
    assert "lapsevanem" in page.content()
    screenshot(page, "school-logged-in-et")


def test_login_at_school_in_english(stack, page):
    school = stack.school("kesklinnagymnaasium")
    page.goto(school)
    page.get_by_role("link", name="In English").click()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.idp.url}/login/**")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "idp-login-en")
    page.get_by_label("Username or e-mail").fill("mari")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{school}/**")
    assert "Mari Maasikas" in page.content()
    assert "parent" in page.content()
    screenshot(page, "school-logged-in-en")


def test_wrong_password_is_announced_next_to_the_form(stack, page):
    school = stack.school("noomuusikakool")
    page.goto(f"{school}/oidc/login")
    page.get_by_label("Kasutajanimi või e-post").fill("mari")
    page.get_by_label("Salasõna").fill("not the password")
    page.get_by_role("button", name="Logi sisse").click()
    alert = page.get_by_role("alert")
    assert "Kasutajanimi või salasõna on vale." in alert.inner_text()
    assert page.get_by_label("Salasõna").get_attribute("aria-invalid") == "true"
    screenshot(page, "idp-login-error-et")
