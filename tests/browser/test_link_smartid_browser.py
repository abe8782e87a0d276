"""A teacher links his accounts at two schools with Smart-ID, in a real browser.

Juhan Kask teaches at Nõo Muusikakool and at Kesklinna Gümnaasium. The IdP wants staff on
ID-card or Smart-ID (``STAFF_EID_REQUIRED``), so his passwords are refused: at the music
school's login page and inside "Seo oma konto teise kooliga". He logs in with Smart-ID, links
the gymnasium's account with Smart-ID too (the waiting page goes back to the linking flow by
itself), and then the gymnasium lets him in without asking anything. The phone is played by
the stand-in's confirm endpoint; everything else runs over real sockets."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from idp.eid.smartid.standin_service import Persona
from idp.extensions import db
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.browser.conftest import screenshot
from tests.browser.smartid_stack import smartid_stack_running

pytestmark = pytest.mark.browser
JUHAN = "37503140277"  # Juhan Kask's personal code (valid checksum), a stand-in persona below
USERNAME = "opetaja"
MUSIC_PASSWORD, GYMNASIUM_PASSWORD = "muusika parool 1", "gymnaasiumi parool 1"
STAFF_REFUSAL = ("Kooli töötajad logivad sisse ID-kaardi või Smart-ID-ga. Kui sa ei saa neid "
                 "täna kasutada, palu kooli direktoril lubada sulle üheks päevaks salasõna.")


@pytest.fixture
def smartid_stack(tmp_path, postgres_base_url, shared_keys_dir):
    with smartid_stack_running(tmp_path, postgres_base_url, shared_keys_dir,
                               personas=(Persona(JUHAN, "JUHAN", "KASK"),),
                               STAFF_EID_REQUIRED=True) as running:
        stack = running[0]
        with stack.app.app_context():
            # two people as far as the IdP knows: one teacher account at each school
            for slug, password in (("noomuusikakool", MUSIC_PASSWORD),
                                   ("kesklinnagymnaasium", GYMNASIUM_PASSWORD)):
                account_service.add(school_service.get(slug), username=USERNAME,
                                    given_name="Juhan", family_name="Kask", roles=["teacher"],
                                    email="juhan.kask@example.ee", isikukood=JUHAN,
                                    password=password)
            db.session.commit()
        yield running


def confirm_on_the_phone(standin, service) -> None:
    """The teacher scans the QR code and enters PIN1 (the stand-in's phone endpoint)."""
    (session,) = service.pending()
    answer = requests.post(f"{standin.url}/phone/{session.id}/confirm", timeout=10,
                           data={"personal_code": JUHAN, "flow_type": "QR"})
    assert answer.status_code == 200


def test_teacher_links_the_second_school_with_smartid(smartid_stack, page):
    stack, standin, service = smartid_stack
    music, gymnasium = stack.school("noomuusikakool"), stack.school("kesklinnagymnaasium")

    # 1. the music school: his password is refused (staff), Smart-ID lets him in
    page.goto(music)
    page.get_by_role("button", name="Logi sisse").click()
    page.wait_for_url(f"{stack.idp.url}/login/**")
    page.get_by_label("Kasutajanimi või e-post").fill(USERNAME)
    page.get_by_label("Salasõna").fill(MUSIC_PASSWORD)
    page.get_by_role("button", name="Logi sisse", exact=True).click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert STAFF_REFUSAL in alert.inner_text()
    assert page.url.startswith(f"{stack.idp.url}/login/")
    page.get_by_role("button", name="Logi sisse Smart-ID-ga").click()
    page.wait_for_url("**/smartid")
    assert page.get_by_role("heading", name="Nõo Muusikakool").is_visible()
    confirm_on_the_phone(standin, service)
    page.wait_for_url(f"{music}/**")  # the page saw the result and went on to the school
    assert "Juhan Kask" in page.content()

    # 2. the IdP's profile: link the gymnasium; its login offers Smart-ID and refuses his password
    page.get_by_role("link", name="Minu profiil").click()
    page.wait_for_url(f"{stack.idp.url}/account/**")
    assert page.get_by_role("heading", name="Juhan Kask").is_visible()
    page.get_by_role("button", name="Seo oma konto teise kooliga").click()
    page.get_by_label("Kesklinna Gümnaasium").check()
    page.get_by_role("button", name="Jätka").click()
    page.get_by_role("heading", name="Logi sisse kontole, mida soovid siduda").wait_for()
    assert page.get_by_role("heading", name="Kesklinna Gümnaasium").is_visible()
    assert page.get_by_role("button", name="Logi sisse Smart-ID-ga").is_visible()
    assert page.get_by_label("Salasõna").is_visible()
    link_page = page.url
    page.get_by_label("Kasutajanimi või e-post").fill(USERNAME)
    page.get_by_label("Salasõna").fill(GYMNASIUM_PASSWORD)
    page.get_by_role("button", name="Logi sisse", exact=True).click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert STAFF_REFUSAL in alert.inner_text()
    assert page.url == link_page  # still at the login step of the same flow
    assert page.get_by_role("heading", name="Logi sisse kontole, mida soovid siduda").is_visible()
    screenshot(page, "link-login-smartid-et")

    # 3. Smart-ID for the gymnasium's account: the waiting page names the gymnasium, and after
    # the phone it goes back to the linking flow on its own
    page.get_by_role("button", name="Logi sisse Smart-ID-ga").click()
    page.wait_for_url("**/smartid")
    assert page.get_by_role("heading", name="Kesklinna Gümnaasium").is_visible()
    assert page.get_by_role("heading", name="Logi sisse Smart-ID-ga").is_visible()
    (session,) = service.pending()
    (shown,) = json.loads(base64.b64decode(session.body["interactions"]))  # what the phone shows
    assert shown["displayText60"] == "Sisselogimine: Kesklinna Gümnaasium"
    confirm_on_the_phone(standin, service)
    page.wait_for_url(link_page)
    page.get_by_role("heading", name="Kinnita sidumine").wait_for()
    assert page.get_by_role("alert").count() == 0
    confirmation = page.content()
    assert "Nõo Muusikakool" in confirmation and "Kesklinna Gümnaasium" in confirmation
    screenshot(page, "link-confirm-smartid-et")
    page.get_by_role("button", name="Seo kontod").click()
    page.wait_for_url(f"{stack.idp.url}/account/**")
    assert page.get_by_role("status").filter(has_text="Kontod on seotud.").is_visible()
    assert page.get_by_role("link", name="Eemalda sidumine: Kesklinna Gümnaasium").is_visible()
    assert page.get_by_text("(logisid sisse selle kooli kaudu)").is_visible()

    # 4. the gymnasium: in without any prompt, both schools' logos in the navigation
    page.goto(gymnasium)
    page.get_by_role("button", name="Logi sisse").click()
    page.wait_for_url(f"{gymnasium}/**")
    assert "Juhan Kask" in page.content()
    nav = page.get_by_role("navigation", name="Minu koolid")
    for name in ("Nõo Muusikakool", "Kesklinna Gümnaasium"):
        logo = nav.get_by_role("link", name=name).locator("img")
        logo.wait_for()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=logo.element_handle())
    screenshot(page, "school-switcher-smartid-et")
