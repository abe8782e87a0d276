"""Claiming an authorization code (RFC 6749 4.1.2, 10.5) with one UPDATE … RETURNING: single
use under concurrency, and a code that failed a check stays used."""

from __future__ import annotations

import threading

from tests.helpers import exchange
from tests.idp._protocol import assert_oauth_error, code_for


def test_RFC6749_4_1_2_concurrent_redemptions_exactly_one_wins(app, client, world):
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def redeem():
        other = app.test_client()
        barrier.wait()
        statuses.append(exchange(other, school, code, verifier).status_code)

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 400, 400, 400]


def test_RFC7636_4_6_a_wrong_verifier_burns_the_code(client, world):
    school = world.schools["alpha"]
    code, verifier, _ = code_for(client, school, "mari")
    assert_oauth_error(exchange(client, school, code, "x" * 50), 400, "invalid_grant")
    assert_oauth_error(exchange(client, school, code, verifier), 400, "invalid_grant")


def test_RFC6749_4_1_3_a_code_is_not_claimed_by_another_school(client, world):
    code, verifier, _ = code_for(client, world.schools["alpha"], "mari")
    assert_oauth_error(exchange(client, world.schools["beta"], code, verifier), 400, "invalid_grant")
    # the school it was issued to still redeems it
    assert exchange(client, world.schools["alpha"], code, verifier).status_code == 200
