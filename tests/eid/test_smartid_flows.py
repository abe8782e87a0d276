"""The production Smart-ID client against the local stand-in of RP API v3, over a real socket
(werkzeug on 127.0.0.1): device link (QR, Web2App), notification, refusals, timeouts, tampering,
untrusted CA. The stand-in signs real ACSP_V2 signatures under its own TEST CA."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from idp.eid import testpki
from idp.eid.smartid import (
    AuthSession,
    SmartIdClient,
    SmartIdConfig,
    SmartIdError,
    confirmation_message,
    display_text_and_pin,
    verification_code,
)
from idp.eid.smartid.standin import create_standin_app, load_or_create_ca
from idp.eid.smartid.standin_service import DEFAULT_PERSONAS, Persona
from tests.e2e.servers import bind

pytestmark = pytest.mark.e2e
RP_UUID, RP_NAME = "00000000-0000-4000-8000-000000000000", "DEMO"
CALLBACK = "https://idp.example.ee/login/smart-id/return?value=Bx3k0qO1uN8wVvLQ7y2fZg"


@pytest.fixture(scope="session")
def standin_ca() -> testpki.TestCa:
    return testpki.make_ca("STAND-IN Smart-ID TEST CA (not SK)")


@pytest.fixture(scope="session")
def standin_server():
    served = bind()
    yield served
    served.stop()


@pytest.fixture(scope="session")
def persona_keys() -> dict:
    return {}


@pytest.fixture
def standin(standin_server, standin_ca, clock, persona_keys):
    """A fresh stand-in (sessions, clock) behind the session's socket; returns its base URL."""
    personas = (*DEFAULT_PERSONAS, Persona("39901012239", "BASIC", "TESTNUMBER", level="ADVANCED"))
    standin_server.attach(create_standin_app(
        ca=standin_ca, personas=personas, relying_parties={RP_UUID: RP_NAME}, clock=clock,
        long_poll_cap_ms=0, key_cache=persona_keys))
    return standin_server.url


@pytest.fixture
def make_client(standin, standin_ca, clock) -> Callable[..., SmartIdClient]:
    def make(http=None, **changes) -> SmartIdClient:
        settings = {"base_url": f"{standin}/v3/", "relying_party_uuid": RP_UUID,
                    "relying_party_name": RP_NAME, "trusted_cas": [standin_ca.certificate],
                    "scheme_name": "smart-id-demo",
                    "interactions": (display_text_and_pin("Logi sisse: Nõo Muusikakool"),),
                    **changes}
        return SmartIdClient(SmartIdConfig(**settings), clock=clock, http=http)
    return make


@pytest.fixture
def client(make_client) -> SmartIdClient:
    return make_client()


def phone(standin: str, path: str, **json_body) -> requests.Response:
    return requests.post(f"{standin}{path}", json=json_body, timeout=10)


def refusal(call, *args, **kwargs) -> SmartIdError:
    with pytest.raises(SmartIdError) as error:
        call(*args, **kwargs)
    return error.value


# -- device link -------------------------------------------------------------------------------

def test_qr_device_link_confirmed_on_the_phone(client, standin, clock):
    session = client.start_device_link()
    first = client.device_link(session, "QR")
    assert client.poll(session) is None  # RUNNING
    clock.advance(seconds=3)
    link = client.device_link(session, "QR")
    assert "elapsedSeconds=3&" in link and link != first  # regenerated every second
    answer = phone(standin, "/mock/device-link", personalCode="40404040009", deviceLink=link)
    assert answer.status_code == 200, answer.text
    person = client.poll(session)
    assert person is not None
    assert (person.isikukood, person.given_name, person.family_name, person.method,
            person.level, person.document_number) == (
        "40404040009", "ANNE", "TESTNUMBER", "smartid", "high", "PNOEE-40404040009-MOCK-Q")


def test_web2app_link_needs_the_callback_before_the_result(client, standin):
    session = client.start_device_link(initial_callback_url=CALLBACK)
    link = client.device_link(session, "Web2App")
    answer = phone(standin, "/mock/device-link", personalCode="38001085718", deviceLink=link)
    callback = answer.json()["callbackUrl"]
    assert callback.startswith(CALLBACK + "&sessionSecretDigest=")
    assert client.poll(session) is None  # complete, but held until the app-opened tab returns
    params = dict(parse_qsl(urlsplit(callback).query))
    client.accept_callback(session, params, expected_value="Bx3k0qO1uN8wVvLQ7y2fZg")
    person = client.poll(session)
    assert person is not None and person.family_name == "JÕEORG"


@pytest.mark.parametrize("change", [
    {"value": "another-browser"}, {"sessionSecretDigest": "A" * 43},
    {"userChallengeVerifier": "short"}], ids=["value", "sessionSecretDigest", "verifier-shape"])
def test_callback_that_does_not_match_is_refused(client, standin, change):
    session = client.start_device_link(initial_callback_url=CALLBACK)
    link = client.device_link(session, "Web2App")
    callback = phone(standin, "/mock/device-link", personalCode="38001085718",
                     deviceLink=link).json()["callbackUrl"]
    params = {**dict(parse_qsl(urlsplit(callback).query)), **change}
    expected = "Bx3k0qO1uN8wVvLQ7y2fZg"
    assert refusal(client.accept_callback, session, params,
                   expected_value=expected).reason == "callback_invalid"


def test_callback_verifier_of_another_session_is_refused(client, standin):
    one = client.start_device_link(initial_callback_url=CALLBACK)
    other = client.start_device_link(initial_callback_url=CALLBACK)
    for s in (one, other):
        callback = phone(standin, "/mock/device-link", personalCode="40404040009",
                         deviceLink=client.device_link(s, "Web2App")).json()["callbackUrl"]
        s.user_challenge_verifier = dict(parse_qsl(urlsplit(callback).query))[
            "userChallengeVerifier"]
    one.user_challenge_verifier, other.user_challenge_verifier = (other.user_challenge_verifier,
                                                                  one.user_challenge_verifier)
    assert refusal(client.poll, one).reason == "callback_invalid"


def test_stand_in_refuses_a_stale_qr_code(client, standin, clock):
    session = client.start_device_link()
    link = client.device_link(session, "QR")
    clock.advance(seconds=30)
    answer = phone(standin, "/mock/device-link", personalCode="40404040009", deviceLink=link)
    assert answer.status_code == 400 and "stale" in answer.json()["detail"]


def test_stand_in_checks_the_auth_code(client, standin):
    session = client.start_device_link()
    link = re.sub(r"authCode=.", "authCode=_", client.device_link(session, "QR"))
    answer = phone(standin, "/mock/device-link", personalCode="40404040009", deviceLink=link)
    assert answer.status_code == 400 and "authCode" in answer.json()["detail"]


def test_device_link_for_a_personal_code_is_only_for_that_person(client, standin):
    session = client.start_device_link(personal_code="40404040009")
    link = client.device_link(session, "QR")
    assert phone(standin, "/mock/device-link", personalCode="50001029996",
                 deviceLink=link).status_code == 400
    assert phone(standin, "/mock/device-link", personalCode="40404040009",
                 deviceLink=link).status_code == 200
    assert client.poll(session).isikukood == "40404040009"


# -- notification ------------------------------------------------------------------------------

def test_notification_shows_the_code_and_the_phone_page_confirms(client, standin):
    session = client.start_notification("50001029996")
    assert session.verification_code == verification_code(session.rp_challenge)
    page = requests.get(f"{standin}/", timeout=10)
    assert session.session_id in page.text and session.verification_code in page.text
    assert "STAND-IN" in page.text and "NOT SK" in page.text
    answer = requests.post(f"{standin}/phone/{session.session_id}/confirm", timeout=10,
                           data={"personal_code": "50001029996", "flow_type": "Notification"})
    assert answer.status_code == 200
    person = client.poll(session)
    assert person.isikukood == "50001029996" and person.given_name == "JAAN"


def test_session_kept_server_side_survives_a_round_trip_through_storage(client, standin):
    stored = json.dumps(client.start_notification("50001029996").to_dict())
    session = AuthSession.from_dict(json.loads(stored))
    phone(standin, f"/mock/session/{session.session_id}", action="confirm",
          personalCode="50001029996")
    assert client.poll(session).isikukood == "50001029996"


def test_refused_on_the_phone(client, standin):
    session = client.start_notification("50001029996")
    requests.post(f"{standin}/phone/{session.session_id}/refuse", timeout=10)
    error = refusal(client.poll, session)
    assert error.reason == "user_refused"
    assert error.message("et") == "Sisselogimine katkestati Smart-ID rakenduses."


def test_not_confirmed_in_time(client, clock):
    session = client.start_notification("50001029996")
    assert client.poll(session) is None
    clock.advance(minutes=2)
    assert refusal(client.poll, session).reason == "timeout"


@pytest.mark.parametrize(("code", "reason"), [
    ("30403039917", "user_refused"), ("30403039972", "wrong_vc"), ("30403039983", "timeout")])
def test_test_accounts_that_answer_by_themselves(client, code, reason):
    assert refusal(client.poll, client.start_notification(code)).reason == reason


def test_verification_code_choice(make_client, standin):
    client = make_client(interactions=(confirmation_message("Logi sisse?", with_vc_choice=True),))
    wrong, right = client.start_notification("50001029996"), client.start_notification("50001029996")
    phone(standin, f"/mock/session/{wrong.session_id}", personalCode="50001029996", vc="0000"
          if wrong.verification_code != "0000" else "0001")
    phone(standin, f"/mock/session/{right.session_id}", personalCode="50001029996",
          vc=right.verification_code)
    assert refusal(client.poll, wrong).reason == "wrong_vc"
    assert client.poll(right).isikukood == "50001029996"


# -- no enumeration, bad input, configuration --------------------------------------------------

def test_no_account_gets_the_same_words_as_an_unusable_one(client):
    error = refusal(client.start_notification, "60001017869")  # valid code, no account here
    assert error.reason == "account_unusable"
    unusable = SmartIdError("document_unusable")
    assert error.message("et") == unusable.message("et")
    assert error.message("en") == unusable.message("en")
    assert "konto" not in error.message("et").split(".")[0]


def test_invalid_personal_code_is_refused_before_calling(client, standin):
    assert refusal(client.start_notification, "38001085717").reason == "invalid_personal_code"
    assert "No session is waiting" in requests.get(f"{standin}/", timeout=10).text


def test_unknown_relying_party(make_client):
    client = make_client(relying_party_uuid="11111111-1111-4111-8111-111111111111")
    assert refusal(client.start_device_link).reason == "configuration"


def test_unknown_session(client, clock):
    session = AuthSession(kind="notification", session_id="6a3c5c2e-0000-4000-8000-000000000000",
                          rp_challenge="", interactions="", created_at=clock())
    assert refusal(client.poll, session).reason == "session_not_found"


def test_service_down(make_client):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}/v3/")
    assert refusal(client.start_device_link).reason == "service_unavailable"


def test_every_response_is_labelled_as_the_stand_in(standin):
    answer = requests.post(f"{standin}/v3/authentication/device-link/anonymous", json={},
                           timeout=10)
    assert answer.status_code == 400
    assert answer.headers["X-Standin"] == "smart-id-rp-api-v3"
    assert requests.get(f"{standin}/", timeout=10).headers["X-Standin"] == "smart-id-rp-api-v3"


# -- verification of what comes back ------------------------------------------------------------

def test_certificate_from_an_untrusted_ca(make_client, standin):
    client = make_client(trusted_cas=[testpki.make_ca("STAND-IN Smart-ID TEST CA (not SK)")
                                      .certificate])
    session = client.start_notification("50001029996")
    phone(standin, f"/mock/session/{session.session_id}", personalCode="50001029996")
    assert refusal(client.poll, session).reason == "untrusted_chain"


def test_advanced_account_when_qualified_is_required(client, standin):
    session = client.start_notification("39901012239")
    phone(standin, f"/mock/session/{session.session_id}", personalCode="39901012239")
    assert refusal(client.poll, session).reason == "level_too_low"


def test_other_scheme_name_breaks_the_signature(make_client, standin):
    client = make_client(scheme_name="smart-id")  # LIVE's name against a DEMO-like service
    session = client.start_notification("50001029996")
    phone(standin, f"/mock/session/{session.session_id}", personalCode="50001029996")
    assert refusal(client.poll, session).reason == "bad_signature"


class Tampering(requests.Session):
    """Changes a completed session status on its way from the service to the client."""

    def __init__(self, change: Callable[[dict], None]) -> None:
        super().__init__()
        self.change = change

    def request(self, method, url, *args, **kwargs):
        response = super().request(method, url, *args, **kwargs)
        if "/v3/session/" in url and response.json().get("state") == "COMPLETE":
            data = response.json()
            self.change(data)
            response._content = json.dumps(data).encode()
        return response


def flip(text: str) -> str:
    return ("B" if text[5] == "A" else "A").join((text[:5], text[6:]))


@pytest.mark.parametrize(("change", "reason"), [
    (lambda d: d["signature"].update(value=flip(d["signature"]["value"])), "bad_signature"),
    (lambda d: d["signature"].update(serverRandom=flip(d["signature"]["serverRandom"])),
     "bad_signature"),
    (lambda d: d["signature"].update(userChallenge=flip(d["signature"]["userChallenge"])),
     "bad_signature"),
    (lambda d: d.update(interactionTypeUsed="confirmationMessage"), "malformed"),
    (lambda d: d["signature"].update(flowType="App2App"), "unexpected_flow"),
    (lambda d: d["cert"].update(certificateLevel="QUALIFIED+"), "missing_policy"),
    (lambda d: d["cert"].update(value=flip(d["cert"]["value"])), "malformed"),
    (lambda d: d.update(signatureProtocol="RAW_DIGEST_SIGNATURE"), "malformed"),
], ids=["value", "serverRandom", "userChallenge", "interactionTypeUsed", "flowType",
        "certificateLevel", "certificate", "signatureProtocol"])
def test_tampered_result_is_refused(make_client, standin, change, reason):
    client = make_client(http=Tampering(change))
    session = client.start_notification("50001029996")
    phone(standin, f"/mock/session/{session.session_id}", personalCode="50001029996")
    assert refusal(client.poll, session).reason == reason


def test_certificate_of_another_person_swapped_in(make_client, standin):
    def swap_certificate(data: dict) -> None:
        data["cert"] = other_status["cert"]
    client = make_client(http=Tampering(swap_certificate))
    other = make_client().start_notification("40404040009")
    phone(standin, f"/mock/session/{other.session_id}", personalCode="40404040009")
    other_status = requests.get(f"{standin}/v3/session/{other.session_id}", timeout=10).json()
    session = client.start_notification("50001029996")
    phone(standin, f"/mock/session/{session.session_id}", personalCode="50001029996")
    assert refusal(client.poll, session).reason == "bad_signature"


def test_stand_in_keeps_its_ca_in_a_directory(tmp_path):
    first = load_or_create_ca(tmp_path)
    assert load_or_create_ca(tmp_path).certificate == first.certificate
    assert (tmp_path / "standin-ca-key.pem").stat().st_mode & 0o077 == 0


def test_long_poll_returns_when_the_person_answers(standin_server, standin_ca, clock,
                                                   persona_keys, make_client):
    """A real long poll (no cap): the GET waits on the stand-in until the phone confirms."""
    import threading
    standin_server.attach(create_standin_app(ca=standin_ca, relying_parties={RP_UUID: RP_NAME},
                                             clock=clock, key_cache=persona_keys))
    client = make_client()
    session = client.start_notification("50001029996")
    results: list = []
    waiting = threading.Thread(target=lambda: results.append(client.poll(session,
                                                                         timeout_ms=20_000)))
    waiting.start()
    phone(standin_server.url, f"/mock/session/{session.session_id}", personalCode="50001029996")
    waiting.join(20)
    assert results and results[0].isikukood == "50001029996"


def test_web2app_link_opened_on_the_phone_page(client, standin):
    session = client.start_device_link(initial_callback_url=CALLBACK)
    page = requests.get(client.device_link(session, "Web2App"), timeout=10)
    assert page.status_code == 200 and 'value="Web2App"' in page.text
    done = requests.post(f"{standin}/phone/{session.session_id}/confirm", timeout=10,
                         data={"personal_code": "60001019906", "flow_type": "Web2App"})
    callback = re.search(r'id="callback" href="([^"]+)"', done.text).group(1).replace("&amp;", "&")
    client.accept_callback(session, dict(parse_qsl(urlsplit(callback).query)),
                           expected_value="Bx3k0qO1uN8wVvLQ7y2fZg")
    assert client.poll(session).family_name == "O’CONNEŽ-ŠUSLIK TESTNUMBER"


def test_stand_in_command_line(monkeypatch, tmp_path, capsys):
    from flask import Flask

    from idp.eid.smartid import standin as module
    ran = {}
    monkeypatch.setattr(Flask, "run", lambda self, **kwargs: ran.update(kwargs))
    module.main(["--port", "5010", "--ca-dir", str(tmp_path)])
    assert ran == {"host": "127.0.0.1", "port": 5010, "threaded": True}
    assert (tmp_path / "standin-ca.pem").exists() and "NOT SK" in capsys.readouterr().out


def test_interactions_can_name_the_school_per_login(client, standin):
    session = client.start_notification(
        "50001029996", interactions=[confirmation_message("Logi sisse: Nõo Muusikakool")])
    phone(standin, f"/mock/session/{session.session_id}", personalCode="50001029996")
    assert client.poll(session).isikukood == "50001029996"
