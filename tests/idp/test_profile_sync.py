"""Profile sync: a change a school should know about queues a Security Event Token (RFC 8417)
for that school's ``events_uri``, in the same transaction; the worker pushes it (RFC 8935)."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.delivery.worker import deliver
from idp.extensions import db
from idp.models import Account, OutboxMessage
from idp.services import accounts as account_service
from idp.services import schools as school_service
from idp.services.profile_sync import ACCOUNT_UPDATED_EVENT
from tests.e2e.servers import Receiver

from ._protocol import log_in
from .test_linking import account_of, confirm, person_of, run_link, verifiable


@pytest.fixture
def receivers(app, world):
    """alpha and beta take events at loopback receivers answering 202 (RFC 8935 2.2)."""
    made = {slug: Receiver(status=202) for slug in ("alpha", "beta")}
    with app.app_context():
        for slug, receiver in made.items():
            school_service.get(slug).events_uri = f"{receiver.url}/oidc/events"
        db.session.commit()
    yield made
    for receiver in made.values():
        receiver.stop()


def events() -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.kind == "security_event").order_by(OutboxMessage.id)))


def school_of(message: OutboxMessage) -> str:
    return message.school.slug


def deliver_all() -> None:
    ids = [m.id for m in events() if m.status == "pending"]
    deliver(ids, wait_seconds=10)
    db.session.expire_all()


def header_of(token: str) -> dict:
    segment = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def verified(client, token: str) -> dict:
    keys = KeySet.import_key_set(client.get("/jwks.json").get_json())
    return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)


def test_a_name_change_queues_one_event_per_account_at_schools_that_take_them(app, world, receivers):
    with app.app_context():
        account_service.update_account(account_of(world, "alpha/juhan"), actor="test", via="test",
                                       personal={"family_name": "Kuusk"})
        db.session.commit()
        queued = events()
        assert [(school_of(m), m.target, m.status) for m in queued] == [
            ("alpha", f"{receivers['alpha'].url}/oidc/events", "pending")]
        # no personal data waits in the outbox: the account and the event's id only
        assert set(queued[0].payload) == {"account_id", "jti"}
        assert account_of(world, "alpha/juhan").profile_version == 1


def test_the_event_is_a_signed_set_pushed_as_secevent_jwt(app, client, world, receivers):
    with app.app_context():
        juhan = account_of(world, "alpha/juhan")
        account_service.update_account(juhan, actor="test", via="test",
                                       personal={"given_name": "Juhan-Peeter"}, roles=["teacher", "staff"])
        db.session.commit()
        deliver_all()
        assert [m.status for m in events()] == ["delivered"]
    [received] = receivers["alpha"].received
    assert received["path"] == "/oidc/events"
    assert received["content_type"] == "application/secevent+jwt"
    token = received["body"]
    header = header_of(token)
    assert header["typ"] == "secevent+jwt" and header["alg"] == "RS256" and header["kid"]
    claims = verified(client, token)
    assert claims["iss"] == app.config["ISSUER"] and claims["aud"] == "alpha"
    assert claims["sub"] == world.accounts["alpha/juhan"]
    assert isinstance(claims["iat"], int) and claims["jti"]
    # RFC 8417 2.2 and 4: no exp and no nonce, so it can never pass as an ID token
    assert "exp" not in claims and "nonce" not in claims
    assert list(claims["events"]) == [ACCOUNT_UPDATED_EVENT]
    event = claims["events"][ACCOUNT_UPDATED_EVENT]
    assert event["version"] == 1 and event["status"] == "active"
    assert event["claims"]["given_name"] == "Juhan-Peeter"
    assert event["claims"]["name"] == "Juhan-Peeter Kask"
    assert event["claims"]["roles"] == ["staff", "teacher"]
    assert "sub" not in event["claims"] and "isikukood" not in json.dumps(claims)


def test_a_school_without_events_uri_hears_nothing(app, world):
    with app.app_context():
        account_service.update_account(account_of(world, "alpha/juhan"), actor="test", via="test",
                                       personal={"family_name": "Kuusk"})
        db.session.commit()
        assert events() == []


def test_what_schools_do_not_receive_changes_nothing(app, world, receivers):
    with app.app_context():
        person = person_of(world, "alpha/juhan")
        person.isikukood = "37605030299"  # never released to schools by sync
        account_service.change_password(account_of(world, "alpha/juhan"), "a whole new password 1")
        db.session.commit()
        assert events() == []


def test_a_new_phone_number_is_told(app, client, world, receivers):
    with app.app_context():
        person_of(world, "alpha/juhan").phone = "+372 5555 1234"
        db.session.commit()
        deliver_all()
    [received] = receivers["alpha"].received
    claims = verified(client, received["body"])["events"][ACCOUNT_UPDATED_EVENT]["claims"]
    assert claims["phone_number"] == "+372 5555 1234" and claims["phone_number_verified"] is False


def test_a_rolled_back_change_leaves_no_event(app, world, receivers):
    with app.app_context():
        person_of(world, "alpha/juhan").family_name = "Kuusk"
        db.session.flush()
        db.session.rollback()
        assert events() == []
        assert account_of(world, "alpha/juhan").profile_version == 0


def test_each_change_raises_the_version_and_the_token_describes_the_latest(app, client, world, receivers):
    with app.app_context():
        for family in ("Kuusk", "Mänd"):
            person_of(world, "alpha/juhan").family_name = family
            db.session.commit()
        assert len(events()) == 2
        deliver_all()
    versions = [verified(client, r["body"])["events"][ACCOUNT_UPDATED_EVENT] for r in receivers["alpha"].received]
    # signed at delivery: both carry the data as it is then, with the version that goes with it
    assert [(v["version"], v["claims"]["family_name"]) for v in versions] == [(2, "Mänd"), (2, "Mänd")]
    jtis = {verified(client, r["body"])["jti"] for r in receivers["alpha"].received}
    assert len(jtis) == 2


def test_a_retry_carries_the_same_jti(app, client, world, receivers):
    receivers["alpha"].status = 503
    with app.app_context():
        person_of(world, "alpha/juhan").family_name = "Kuusk"
        db.session.commit()
        [message] = events()
        deliver([message.id], wait_seconds=10)
        db.session.expire_all()
        assert message.status == "pending" and message.attempts == 1
        receivers["alpha"].status = 202
        message.next_attempt_at = message.created_at
        db.session.commit()
        deliver([message.id], wait_seconds=10)
        db.session.expire_all()
        assert message.status == "delivered"
    first, second = (verified(client, r["body"]) for r in receivers["alpha"].received)
    assert first["jti"] == second["jti"]


def test_a_refused_event_is_final(app, world, receivers):
    receivers["alpha"].status = 400
    receivers["alpha"].body = {"err": "invalid_audience", "description": "not for us"}
    with app.app_context():
        person_of(world, "alpha/juhan").family_name = "Kuusk"
        db.session.commit()
        deliver_all()
        [message] = events()
        assert message.status == "failed" and message.last_error.startswith("HTTP 400")


def test_an_unknown_key_is_tried_again(app, world, receivers):
    """RFC 8935 invalid_key: the school's JWKS cache may not have our newest key yet."""
    receivers["alpha"].status = 400
    receivers["alpha"].body = {"err": "invalid_key", "description": "unknown kid"}
    with app.app_context():
        person_of(world, "alpha/juhan").family_name = "Kuusk"
        db.session.commit()
        deliver_all()
        [message] = events()
        assert message.status == "pending" and message.attempts == 1
        assert "invalid_key" in message.last_error


def test_roles_change_and_disabling_are_told_then_silence(app, client, world, receivers):
    with app.app_context():
        juhan = account_of(world, "alpha/juhan")
        account_service.update_account(juhan, actor="test", via="test", roles=["teacher", "admin"])
        db.session.commit()
        account_service.disable_account(juhan, actor="test", via="test")
        db.session.commit()
        person_of(world, "alpha/juhan").family_name = "Kuusk"  # a disabled account hears no more
        db.session.commit()
        assert len(events()) == 2
        deliver_all()
    told = [verified(client, r["body"])["events"][ACCOUNT_UPDATED_EVENT] for r in receivers["alpha"].received]
    assert [(e["version"], e["status"]) for e in told] == [(2, "disabled"), (2, "disabled")]


def test_every_account_of_a_person_is_told(app, client, world, receivers):
    """Mari has accounts at alpha and beta (two persons until linked): her new e-mail reaches
    each school holding an account of the person that changed."""
    verifiable(app, world, "alpha/mari", "beta/mari")
    log_in(client, world.schools["alpha"], "mari")
    flow, _ = run_link(client)
    assert confirm(client, flow).status_code == 303
    with app.app_context():
        linked = events()
        # linking changes the logo bar of both: one event each
        assert sorted(school_of(m) for m in linked) == ["alpha", "beta"]
        deliver_all()
        for message in events():
            message.status = "delivered"
        person = person_of(world, "alpha/mari")
        person.email = "mari.maasikas@example.ee"
        db.session.commit()
        assert sorted(school_of(m) for m in events() if m.status == "pending") == ["alpha", "beta"]
    for slug in ("alpha", "beta"):
        event = verified(client, receivers[slug].received[0]["body"])["events"][ACCOUNT_UPDATED_EVENT]
        assert sorted(s["client_id"] for s in event["claims"]["schools"]) == ["alpha", "beta"]


def test_unlinking_tells_both_sides(app, client, world, receivers):
    verifiable(app, world, "alpha/mari", "beta/mari")
    log_in(client, world.schools["alpha"], "mari")
    flow, _ = run_link(client)
    assert confirm(client, flow).status_code == 303
    with app.app_context():
        before = len(events())
        beta = account_of(world, "beta/mari")
        unlink_url = f"/account/unlink/{beta.id}"
    page = client.get(unlink_url)
    from tests.helpers import csrf_token
    response = client.post(unlink_url, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code in (302, 303)
    with app.app_context():
        after = events()[before:]
        assert sorted(school_of(m) for m in after) == ["alpha", "beta"]
        deliver_all()
    for slug in ("alpha", "beta"):
        event = verified(client, receivers[slug].received[-1]["body"])["events"][ACCOUNT_UPDATED_EVENT]
        assert [s["client_id"] for s in event["claims"]["schools"]] == [slug]


def test_a_new_account_of_a_known_person_updates_the_others(app, world, receivers):
    with app.app_context():
        person = person_of(world, "beta/mari")
        school, _ = school_service.add(slug="gamma", name="Gamma Lasteaed", kind="kindergarten",
                                       redirect_uris=["https://gamma.school.test/cb"])
        db.session.add(Account(school=school, person=person, username="mari", roles=["parent"]))
        db.session.commit()
        assert [school_of(m) for m in events()] == ["beta"]


def test_an_account_gone_from_the_school_is_a_final_failure(app, world, receivers):
    with app.app_context():
        person_of(world, "alpha/juhan").family_name = "Kuusk"
        db.session.commit()
        [message] = events()
        message.payload = {**message.payload, "account_id": account_of(world, "beta/mari").id}
        db.session.commit()
        deliver_all()
        assert message.status == "failed" and "no longer exists" in message.last_error
        assert receivers["alpha"].received == []
