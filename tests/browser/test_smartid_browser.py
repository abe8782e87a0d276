"""A Smart-ID login in a real browser through the stand-in: the school sends the person to the
IdP, the login page starts Smart-ID, the waiting page shows a QR code it renews every second
and asks the status by itself; the test plays the phone with the stand-in's confirm endpoint."""

from __future__ import annotations

import pytest
import requests

from idp.eid.smartid.standin_service import Persona
from tests.browser.conftest import screenshot
from tests.browser.smartid_stack import smartid_stack_running

pytestmark = pytest.mark.browser
MARI = "48003120218"  # the demo stack's Mari Maasikas


@pytest.fixture
def smartid_stack(tmp_path, postgres_base_url, shared_keys_dir):
    with smartid_stack_running(tmp_path, postgres_base_url, shared_keys_dir,
                               personas=(Persona(MARI, "MARI", "MAASIKAS"),)) as running:
        yield running


def test_smartid_login_by_qr_code_in_a_browser(smartid_stack, page):
    stack, standin, service = smartid_stack
    school = stack.school("noomuusikakool")
    page.goto(school)
    page.get_by_role("button", name="Logi sisse").click()
    page.wait_for_url(f"{stack.idp.url}/login/**")
    page.get_by_role("button", name="Logi sisse Smart-ID-ga").click()
    page.wait_for_url("**/smartid")
    assert page.get_by_role("heading", name="Logi sisse Smart-ID-ga").is_visible()
    qr = page.get_by_role("img", name="QR-kood Smart-ID rakendusega skaneerimiseks")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    with page.expect_request(lambda r: "/smartid/qr.svg?t=" in r.url):
        pass  # the page renews the code every second
    assert "see Smart-ID on kohalik asendaja, mitte SK teenus" in page.content()
    screenshot(page, "idp-smartid-qr-et")
    (session,) = service.pending()
    answer = requests.post(f"{standin.url}/phone/{session.id}/confirm", timeout=10,
                           data={"personal_code": MARI, "flow_type": "QR"})
    assert answer.status_code == 200
    page.wait_for_url(f"{school}/**")  # the page saw the result and went on to the school
    assert "Mari Maasikas" in page.content()
    screenshot(page, "school-logged-in-by-smartid-et")


def test_smartid_refused_on_the_phone_is_announced(smartid_stack, page):
    stack, standin, service = smartid_stack
    page.goto(f"{stack.school('noomuusikakool')}/oidc/login")
    page.wait_for_url(f"{stack.idp.url}/login/**")
    page.get_by_role("button", name="Logi sisse Smart-ID-ga").click()
    page.wait_for_url("**/smartid")
    (session,) = service.pending()
    requests.post(f"{standin.url}/phone/{session.id}/refuse", timeout=10)
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Sisselogimine katkestati Smart-ID rakenduses." in alert.inner_text()
    assert "/smartid" not in page.url


def test_login_page_with_eid_in_a_browser(smartid_stack, page):
    """The login page offers Smart-ID above the password form (no ID-card: the stack's origin is
    plain http, where Web eID does not work)."""
    stack, _standin, _service = smartid_stack
    page.goto(f"{stack.school('noomuusikakool')}/oidc/login")
    page.wait_for_url(f"{stack.idp.url}/login/**")
    assert page.get_by_role("button", name="Logi sisse Smart-ID-ga").is_visible()
    assert page.get_by_text("Smart-ID isikukoodiga").is_visible()
    assert page.locator("#idcard-button").count() == 0
    screenshot(page, "idp-login-eid-et")
