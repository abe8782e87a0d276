"""The seed's linking story in a real browser: log in at one school, link a second, switch by
logo, log out once, be out of both."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_link_switch_by_logo_and_log_out_of_both(stack, page):
    music, gymnasium = stack.school("noomuusikakool"), stack.school("kesklinnagymnaasium")
    page.goto(music)
    page.get_by_role("button", name="Logi sisse").click()
    page.get_by_label("Kasutajanimi või e-post").fill("mari")
    page.get_by_label("Salasõna").fill(PASSWORD)
    page.get_by_role("button", name="Logi sisse").click()
    page.wait_for_url(f"{music}/**")

    # the profile link of the school leads to the IdP's profile page
    page.get_by_role("link", name="Minu profiil").click()
    page.wait_for_url(f"{stack.idp.url}/account/**")
    page.get_by_role("button", name="Seo oma konto teise kooliga").click()
    page.get_by_label("Kesklinna Gümnaasium").check()
    page.get_by_role("button", name="Jätka").click()
    page.get_by_label("Kasutajanimi või e-post").fill("mari")
    page.get_by_label("Salasõna").fill(PASSWORD)
    page.get_by_role("button", name="Logi sisse").click()
    screenshot(page, "link-confirm-et")
    page.get_by_role("button", name="Seo kontod").click()
    assert "Kesklinna Gümnaasium" in page.content()

    # log in once: the gymnasium lets her in without a password
    page.goto(gymnasium)
    page.get_by_role("button", name="Logi sisse").click()
    page.wait_for_url(f"{gymnasium}/**")
    assert "Mari Maasikas" in page.content()
    screenshot(page, "school-switcher-et")

    # the music school's logo in the navigation bar jumps there, logged in
    page.get_by_role("navigation", name=None).get_by_role("link", name="Nõo Muusikakool").click()
    page.wait_for_url(f"{music}/**")
    assert "Mari Maasikas" in page.content()

    # log out once, at the music school: out of both
    page.get_by_role("button", name="Logi välja").click()
    page.wait_for_url(f"{music}/**", timeout=20_000)
    assert "Mari Maasikas" not in page.content()
    page.goto(gymnasium)
    assert "Mari Maasikas" not in page.content()
