"""Web eID challenge nonces: ≥ 256 bits, bound to the session, single use, 5 minutes
(web-eid-system-architecture-doc "Challenge nonce"; ChallengeNonceGenerator/Store)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from idp.eid.webeid import (
    InMemoryNonceStore,
    WebEidError,
    issue_challenge,
    take_challenge,
)

from .support import NOW, Clock


def test_a_nonce_is_base64_of_32_random_bytes_and_fresh_each_time():
    store = InMemoryNonceStore(Clock())
    first = issue_challenge(store, "session-a", now=NOW)
    second = issue_challenge(store, "session-b", now=NOW)
    assert len(first) == 44 and len(base64.b64decode(first, validate=True)) == 32
    assert first != second


def test_the_nonce_is_taken_once():
    store = InMemoryNonceStore(Clock())
    nonce = issue_challenge(store, "session-a", now=NOW)
    assert take_challenge(store, "session-a", now=NOW) == nonce
    with pytest.raises(WebEidError) as refused:
        take_challenge(store, "session-a", now=NOW)
    assert refused.value.reason == "nonce_invalid"


def test_a_nonce_is_bound_to_its_session():
    store = InMemoryNonceStore(Clock())
    issue_challenge(store, "session-a", now=NOW)
    with pytest.raises(WebEidError) as refused:
        take_challenge(store, "session-b", now=NOW)
    assert refused.value.reason == "nonce_invalid"


def test_a_new_challenge_replaces_the_old_one():
    store = InMemoryNonceStore(Clock())
    issue_challenge(store, "session-a", now=NOW)
    newer = issue_challenge(store, "session-a", now=NOW)
    assert take_challenge(store, "session-a", now=NOW) == newer


@pytest.mark.parametrize(("age", "ok"), [(dt.timedelta(minutes=4, seconds=59), True),
                                         (dt.timedelta(minutes=5), False)],
                         ids=["webeid-nonce-within-5-min", "webeid-nonce-expired-at-5-min"])
def test_a_nonce_lives_five_minutes(age, ok):
    store = InMemoryNonceStore(Clock())
    nonce = issue_challenge(store, "s", now=NOW)
    if ok:
        assert take_challenge(store, "s", now=NOW + age) == nonce
    else:
        with pytest.raises(WebEidError) as refused:
            take_challenge(store, "s", now=NOW + age)
        assert refused.value.reason == "nonce_expired"


def test_expired_challenges_are_forgotten():
    clock = Clock()
    store = InMemoryNonceStore(clock)
    issue_challenge(store, "old", now=clock())
    clock.advance(minutes=6)
    issue_challenge(store, "new", now=clock())
    assert store.take("old") is None


def test_a_challenge_needs_a_session():
    with pytest.raises(ValueError, match="bound"):
        issue_challenge(InMemoryNonceStore(), "", now=NOW)
