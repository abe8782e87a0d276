"""Smart-ID login through the RP API v3 client against the stand-in on a real socket: by personal
code (notification, verification code shown), by QR code (device link, regenerated every
second), Web2App; every end mapped to one clear message; the no-JavaScript "check again"."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import urlsplit

import pytest
import requests
import time_machine

from idp.eid.smartid import verification_code
from idp.extensions import db
from idp.models import SmartIdPending, SSOSession
from tests.eid_login.conftest import CODES
from tests.eid_login.flows import (
    authorize_url,
    code_and_tokens,
    id_token_claims,
    page_token,
    phone_confirms,
    smartid_login,
    smartid_start,
    smartid_status,
)
from tests.helpers import SECRETS, school_base

pytestmark = pytest.mark.e2e
ALPHA = {"client_id": "alpha", "secret": SECRETS["alpha"],
         "redirect_uri": f"{school_base('alpha')}/cb"}


def flashed_error(client, login: str) -> str:
    page = client.get(login).get_data(as_text=True)
    match = re.search(r'<p class="error" role="alert"[^>]*>([^<]+)</p>', page)
    assert match, "no error message on the login page"
    return html.unescape(match.group(1))


def test_smartid_by_personal_code_shows_the_code_and_logs_in(app, client, cast, standin):
    login, verifier, _ = authorize_url(client, ALPHA)
    started = smartid_start(client, login, CODES["mari"])
    assert started.status_code == 303
    page = client.get(started.location).get_data(as_text=True)
    session = standin.waiting()
    shown = verification_code(session.body["signatureProtocolParameters"]["rpChallenge"])
    assert f'<strong id="smartid-vc">{shown}</strong>' in page
    phone_confirms(standin, CODES["mari"])
    done = smartid_status(client, login)
    assert done["state"] == "done"
    claims = id_token_claims(app, code_and_tokens(client, ALPHA, done["redirect"], verifier))
    assert claims["sub"] == cast.subs["alpha/mari"]
    assert claims["amr"] == ["smartid"] and claims["acr"] == "high"


def test_the_phone_shows_the_school_name(client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, CODES["mari"])
    import base64
    import json
    shown = json.loads(base64.b64decode(standin.waiting().body["interactions"]))
    assert shown == [{"type": "displayTextAndPIN", "displayText60": "Sisselogimine: Alfa Kool"}]


def test_all_students_can_log_in_with_smartid(app, client, cast, standin):
    login, verifier, _ = authorize_url(client, ALPHA)
    done = smartid_login(client, standin, login, CODES["kati"])
    claims = id_token_claims(app, code_and_tokens(client, ALPHA, done["redirect"], verifier))
    assert claims["sub"] == cast.subs["alpha/kati"]


def test_qr_code_is_rendered_server_side_and_changes_every_second(app, client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        started = smartid_start(client, login)
        page = client.get(started.location).get_data(as_text=True)
        assert f'src="{login}/smartid/qr.svg"' in page and "/static/eid/smartid.js" in page
        first = client.get(f"{login}/smartid/qr.svg")
        assert first.mimetype == "image/svg+xml" and first.data.startswith(b"<svg")
        assert first.headers["Cache-Control"] == "no-store"
        traveller.shift(1)
        second = client.get(f"{login}/smartid/qr.svg")
    assert first.data != second.data  # elapsedSeconds moved on


def test_qr_link_carries_an_auth_code_the_service_accepts(app, client, cast, standin):
    """The QR's device link (computed as the page's QR code is) passes the stand-in's authCode
    check, as the Smart-ID app's would; the person then confirms on the phone."""
    login, verifier, _ = authorize_url(client, ALPHA)
    smartid_start(client, login)
    with app.test_request_context():
        from idp.login import eid_services
        row = db.session.scalar(db.select(SmartIdPending))
        link = eid_services.smartid_client().device_link(eid_services.auth_session(row), "QR",
                                                         lang="est")
    answer = requests.post(f"{standin.url}/mock/device-link", timeout=10,
                           json={"personalCode": CODES["mari"], "deviceLink": link})
    assert answer.status_code == 200, answer.text
    done = smartid_status(client, login)
    assert done["state"] == "done"
    code_and_tokens(client, ALPHA, done["redirect"], verifier)


def test_session_secret_stays_on_the_server(app, client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    started = smartid_start(client, login)
    page = client.get(started.location).get_data(as_text=True)
    with app.app_context():
        secret = db.session.scalar(db.select(SmartIdPending)).data["session_secret"]
    assert secret and secret not in page
    with client.session_transaction() as cookie:
        assert secret not in repr(dict(cookie))


def test_without_javascript_check_again_waits_then_goes_on(client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, CODES["mari"])
    token = page_token(client, f"{login}/smartid")
    waiting = client.post(f"{login}/smartid/check", data={"csrf_token": token})
    assert waiting.status_code == 303 and waiting.location == f"{login}/smartid"
    phone_confirms(standin, CODES["mari"])
    done = client.post(f"{login}/smartid/check", data={"csrf_token": token})
    assert done.status_code == 303 and done.location.startswith("/authorize?")


def test_cancel_forgets_the_session(app, client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, CODES["mari"])
    token = page_token(client, f"{login}/smartid")
    cancelled = client.post(f"{login}/smartid/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303 and cancelled.location == login
    with app.app_context():
        assert db.session.scalar(db.select(SmartIdPending.id)) is None
    assert client.get(f"{login}/smartid").status_code == 302


def test_refused_on_the_phone(client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, CODES["mari"])
    requests.post(f"{standin.url}/phone/{standin.waiting().id}/refuse", timeout=10)
    failed = smartid_status(client, login)
    assert failed == {"state": "failed", "redirect": login}
    assert flashed_error(client, login) == "Sisselogimine katkestati Smart-ID rakenduses."


@pytest.mark.parametrize(("code", "message"), [
    ("30403039917", "Sisselogimine katkestati Smart-ID rakenduses."),
    ("30403039972", "Smart-ID rakenduses valiti vale kontrollkood."),
    ("30403039983", "Sisselogimist ei kinnitatud Smart-ID rakenduses õigel ajal."),
], ids=["USER_REFUSED", "WRONG_VC", "TIMEOUT"])
def test_every_end_result_has_one_clear_message(client, cast, standin, code, message):
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, code)
    assert smartid_status(client, login)["state"] == "failed"
    assert flashed_error(client, login).startswith(message)


def test_no_smartid_account_and_unusable_account_read_the_same(client, cast, standin):
    """SK: 404 (no account) and DOCUMENT_UNUSABLE share one message: nothing is enumerated."""
    login, _, _ = authorize_url(client, ALPHA)
    started = smartid_start(client, login, "60001017869")  # a valid code without Smart-ID
    assert started.status_code == 303 and started.location == login
    assert flashed_error(client, login).startswith("Smart-ID sisselogimine ei õnnestunud.")


def test_invalid_personal_code_is_refused_before_asking_sk(client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, "38001085717")
    assert flashed_error(client, login) == "Isikukood ei ole korrektne. Kontrolli numbreid."
    assert standin.service.sessions == {}


def test_smartid_basic_is_not_enough(client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, CODES["basic"])
    phone_confirms(standin, CODES["basic"])
    assert smartid_status(client, login)["state"] == "failed"
    assert "Smart-ID Basic" in flashed_error(client, login)


def test_smartid_of_someone_the_school_does_not_know(app, client, cast, standin):
    """Only after Smart-ID proved the person does the school's answer show: no account."""
    login, _, _ = authorize_url(client, ALPHA)
    done = smartid_login(client, standin, login, "60001019906")
    assert done == {"state": "done", "redirect": f"{login}/no-account"}
    page = client.get(done["redirect"]).get_data(as_text=True)
    assert "Tõendasid Smart-ID-ga, et oled MARY ÄNN O’CONNEŽ-ŠUSLIK TESTNUMBER" in html.unescape(page)
    with app.app_context():
        assert db.session.scalar(db.select(SSOSession.id)) is None


def test_service_down_has_its_own_message(app, client, cast, standin):
    from tests.delivery.smtp import free_port
    app.config["SMARTID_BASE_URL"] = f"http://127.0.0.1:{free_port()}/v3/"
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, CODES["mari"])
    assert flashed_error(client, login).startswith("Smart-ID teenus ei ole praegu kättesaadav.")


@pytest.mark.parametrize("app_config", [{"ISSUER": "https://idp.test"}], indirect=True)
def test_web2app_returns_to_a_new_tab_of_the_same_browser(app, cast, standin):
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    login, verifier, _ = authorize_url(client, {**ALPHA})
    started = smartid_start(client, login)
    page = client.get(started.location).get_data(as_text=True)
    link = html.unescape(re.search(r'id="smartid-web2app" href="([^"]+)"', page).group(1))
    assert "deviceLinkType=Web2App" in link
    answer = requests.post(f"{standin.url}/mock/device-link", timeout=10,
                           json={"personalCode": CODES["mari"], "deviceLink": link}).json()
    callback = urlsplit(answer["callbackUrl"])
    assert f"{callback.scheme}://{callback.netloc}{callback.path}" == \
        "https://idp.test/login/smartid/return"
    other = app.test_client()  # another browser cannot use the return link
    other.environ_base["wsgi.url_scheme"] = "https"
    assert other.get(f"{callback.path}?{callback.query}").status_code == 400
    back = client.get(f"{callback.path}?{callback.query}")
    assert back.status_code == 302 and back.location.startswith("/authorize?"), back.location
    claims = id_token_claims(app, code_and_tokens(client, ALPHA, back.location, verifier))
    assert claims["amr"] == ["smartid"]
