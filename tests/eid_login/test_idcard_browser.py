"""The login page's ID-card login in a real browser (headless Chromium): our webeid.js speaks the
Web eID extension's message protocol with a stand-in "extension" (an init script that answers
``web-eid:authenticate`` as web-eid-webextension does, signing with a test card key through
WebCrypto), the page glue posts the token with the CSRF token, and the person lands at school.

The stack serves plain http on 127.0.0.1, while Web eID signs for an https origin: the stand-in
extension signs for the configured origin, and the token POST carries that origin (as the real
browser would on the https site)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from idp.delivery.worker import start_background_worker
from idp.eid import testpki
from tests.browser.conftest import screenshot
from tests.conftest import close_app
from tests.e2e.conftest import build_stack
from tests.eid.support import ORIGIN

pytestmark = pytest.mark.browser
MARI = "48003120218"

# The extension side of the protocol (web-eid-webextension's content script + background):
# acknowledge, then answer with a token signed over SHA-384(origin) || SHA-384(nonce).
FAKE_EXTENSION = """
(() => {
  const card = %s;
  const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  const bytes = (text) => new TextEncoder().encode(text);
  window.addEventListener("message", async (event) => {
    if (event.source !== window || !event.data || event.data.action !== "web-eid:authenticate") return;
    window.postMessage({ action: "web-eid:authenticate-ack" }, "*");
    if (card.cancel) {
      window.postMessage({ action: "web-eid:authenticate-failure", error: {
        code: "ERR_WEBEID_USER_CANCELLED", message: "cancelled" } }, "*");
      return;
    }
    const key = await crypto.subtle.importKey("pkcs8",
      Uint8Array.from(atob(card.key), (c) => c.charCodeAt(0)),
      { name: "ECDSA", namedCurve: "P-384" }, false, ["sign"]);
    const origin = await crypto.subtle.digest("SHA-384", bytes(card.origin));
    const nonce = await crypto.subtle.digest("SHA-384", bytes(event.data.challengeNonce));
    const data = new Uint8Array([...new Uint8Array(origin), ...new Uint8Array(nonce)]);
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-384" }, key, data);
    window.postMessage({ action: "web-eid:authenticate-success",
      unverifiedCertificate: card.certificate, algorithm: "ES384", signature: b64(signature),
      format: "web-eid:1.0", appVersion: "https://web-eid.eu/web-eid-app/releases/2.5.0+0" }, "*");
  });
})();
"""


@pytest.fixture
def idcard_stack(tmp_path, postgres_base_url, shared_keys_dir):
    ca = testpki.make_ca("TEST of ESTEID-like CA (browser)")
    (tmp_path / "idcard-ca.pem").write_bytes(ca.certificate_pem())
    key = ec.generate_private_key(ec.SECP384R1())
    certificate = testpki.idcard_auth_certificate(ca, key.public_key(), personal_code=MARI,
                                                  given_name="MARI", family_name="MAASIKAS")
    stack = build_stack(tmp_path, postgres_base_url, shared_keys_dir, WEBEID_ORIGIN=ORIGIN,
                        WEBEID_EXTRA_CA_FILES=[str(tmp_path / "idcard-ca.pem")],
                        WEBEID_OCSP=False)
    worker = start_background_worker(stack.app, interval=0.2)
    card = {"origin": ORIGIN,
            "key": base64.b64encode(key.private_bytes(serialization.Encoding.DER,
                                                      serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption())).decode(),
            "certificate": base64.b64encode(certificate.public_bytes(
                serialization.Encoding.DER)).decode()}
    yield stack, card
    worker.stop()
    for served in [stack.idp, *stack.schools.values()]:
        served.stop()
    close_app(stack.app)


def as_on_the_https_site(page) -> None:
    """The token POST carries the site's https origin, as it would there."""
    def with_origin(route):  # (the browser keeps its own Origin on a continued request)
        answer = route.fetch(headers={**route.request.all_headers(), "origin": ORIGIN})
        route.fulfill(response=answer)
    page.route("**/idcard", with_origin)


def test_idcard_login_through_the_extension_protocol(idcard_stack, page):
    stack, card = idcard_stack
    page.add_init_script(FAKE_EXTENSION % json.dumps(card))
    as_on_the_https_site(page)
    school = stack.school("noomuusikakool")
    page.goto(f"{school}/oidc/login")
    page.wait_for_url(f"{stack.idp.url}/login/**")
    page.get_by_role("button", name="Logi sisse ID-kaardiga").click()
    page.wait_for_url(f"{school}/**")
    assert "Mari Maasikas" in page.content()


def test_cancel_in_the_id_card_software_is_announced(idcard_stack, page):
    stack, card = idcard_stack
    page.add_init_script(FAKE_EXTENSION % json.dumps({**card, "cancel": True}))
    page.goto(f"{stack.school('noomuusikakool')}/oidc/login")
    page.wait_for_url(f"{stack.idp.url}/login/**")
    page.get_by_role("button", name="Logi sisse ID-kaardiga").click()
    alert = page.locator("#idcard-status[role=alert]")
    alert.wait_for()
    assert alert.inner_text() == "ID-kaardiga sisselogimine katkestati."


def test_without_the_extension_the_page_says_what_to_install(idcard_stack, page):
    stack, _card = idcard_stack
    page.goto(f"{stack.school('noomuusikakool')}/oidc/login")
    page.wait_for_url(f"{stack.idp.url}/login/**")
    page.get_by_role("button", name="Logi sisse ID-kaardiga").click()
    alert = page.locator("#idcard-status[role=alert]")
    alert.wait_for()
    assert "Web eID brauserilaiendust ei leitud" in alert.inner_text()
    screenshot(page, "idp-idcard-no-extension-et")
