"""OIDC Back-Channel Logout 1.0 and Front-Channel Logout 1.0 at the IdP: every school that
received tokens in the session is told, with a logout token exactly as §2.4 describes."""

from __future__ import annotations

import time

import pytest
from joserfc import jws, jwt

from idp.delivery.worker import deliver
from idp.extensions import db
from idp.models import OutboxMessage
from idp.services import schools as school_service
from tests.e2e.servers import Receiver
from tests.helpers import csrf_token, login_and_get_tokens, query

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def receivers(app):
    """alpha and beta get loopback back-channel receivers; beta also a front-channel URI."""
    found = {slug: Receiver() for slug in ("alpha", "beta")}
    with app.app_context():
        for slug, receiver in found.items():
            school_service.get(slug).backchannel_logout_uri = f"{receiver.url}/bcl"
        school_service.get("beta").frontchannel_logout_uri = "https://beta.school.test/fcl?x=1"
        db.session.commit()
    yield found
    for receiver in found.values():
        receiver.stop()


def logout_with_hint(client, world, tokens, school="alpha"):
    return client.get("/logout", query_string={
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": world.schools[school]["post_logout"],
        "state": "st"})


def decoded(app, receiver):
    [post] = receiver.received
    token = post["form"]["logout_token"]
    header = jws.extract_compact(token.encode()).protected
    claims = jwt.decode(token, app.extensions["keystore"].verification_keys()).claims
    return header, claims, post


def test_BCL_2_4_logout_token_contents(app, client, world, receivers):
    tokens = login_and_get_tokens(client, world.schools["alpha"], "mari")
    id_claims = jwt.decode(tokens["id_token"], app.extensions["keystore"].verification_keys()).claims
    logout_with_hint(client, world, tokens)
    header, claims, post = decoded(app, receivers["alpha"])
    assert post["path"] == "/bcl" and post["content_type"] == "application/x-www-form-urlencoded"
    assert header["typ"] == "logout+jwt" and header["alg"] == "RS256" and header["kid"]
    assert claims["iss"] == "http://idp.test"
    assert claims["aud"] == "alpha"
    assert claims["sub"] == id_claims["sub"] and claims["sid"] == id_claims["sid"]
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims  # BCL 2.4: a logout token MUST NOT contain a nonce
    now = time.time()
    assert claims["iat"] <= now + 1 and 0 < claims["exp"] - claims["iat"] <= 300
    assert len(claims["jti"]) >= 16


def test_BCL_2_7_every_participating_school_is_told_with_its_own_sub(app, client, world, receivers):
    # mari is linked here by giving both accounts one person (the linking flow has its own tests)
    from idp.models import Account
    with app.app_context():
        alpha = db.session.scalar(db.select(Account).where(Account.sub == world.accounts["alpha/mari"]))
        beta = db.session.scalar(db.select(Account).where(Account.sub == world.accounts["beta/mari"]))
        beta.person_id = alpha.person_id
        db.session.commit()
    tokens = login_and_get_tokens(client, world.schools["alpha"], "mari")
    response = client.get("/authorize", query_string=tokens["params"] | {
        "client_id": "beta", "redirect_uri": world.schools["beta"]["redirect_uri"], "nonce": "n2"})
    code = query(response.location)["code"]
    from tests.helpers import exchange
    assert exchange(client, world.schools["beta"], code, tokens["verifier"]).status_code == 200
    page = logout_with_hint(client, world, tokens)
    # FCL 3: beta registered a front-channel URI: an iframe with iss and sid, then onwards
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'src="https://beta.school.test/fcl?x=1&amp;iss=http%3A%2F%2Fidp.test&amp;sid=' in text
    assert "frame-src https://beta.school.test" in page.headers["Content-Security-Policy"]
    assert 'content="3;url=https://alpha.school.test/bye?state=st"' in text
    _, alpha_claims, _ = decoded(app, receivers["alpha"])
    _, beta_claims, _ = decoded(app, receivers["beta"])
    assert alpha_claims["sub"] == world.accounts["alpha/mari"]
    assert beta_claims["sub"] == world.accounts["beta/mari"]
    assert alpha_claims["sid"] == beta_claims["sid"] and alpha_claims["jti"] != beta_claims["jti"]


def test_BCL_school_that_answers_400_is_not_retried(app, client, world, receivers):
    receivers["alpha"].status = 400
    tokens = login_and_get_tokens(client, world.schools["alpha"], "mari")
    logout_with_hint(client, world, tokens)
    with app.app_context():
        [message] = db.session.scalars(db.select(OutboxMessage)).all()
        assert message.status == "failed" and "HTTP 400" in message.last_error


def test_logout_everywhere_ends_every_session_of_the_person(app, world, receivers):
    phone, laptop = app.test_client(), app.test_client()
    first = login_and_get_tokens(phone, world.schools["alpha"], "mari")
    login_and_get_tokens(laptop, world.schools["alpha"], "mari")
    page = phone.get("/account/")
    response = phone.post("/account/logout-everywhere",
                          data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 200 and "Oled välja loginud" in response.get_data(as_text=True)
    assert len(receivers["alpha"].received) == 2  # one logout token per session
    for n, browser in enumerate((phone, laptop)):
        again = browser.get("/authorize", query_string=first["params"] | {"prompt": "none",
                                                                        "nonce": f"again-{n}"})
        assert query(again.location)["error"] == "login_required"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "delivered")) == 2
        assert deliver() == 0  # nothing left for the worker
