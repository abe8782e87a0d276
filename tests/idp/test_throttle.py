"""Failed-login throttling (idp/login/throttle.py): per name and per address, growing delay."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine

from idp.extensions import db
from idp.models import LoginThrottle, School
from tests.helpers import PASSWORD, csrf_token

from ._ui import login_url, normalise

WAIT = "Liiga palju ebaõnnestunud katseid."
WRONG = "Kasutajanimi või salasõna on vale."
_addresses = (f"192.0.2.{n}" for n in itertools.count(1))


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        yield traveller


def attempt(client, url: str, name: str, password: str = "wrong password", addr: str | None = None):
    """One login attempt from ``addr`` (a fresh address each time when None): (status, page)."""
    environ = {"REMOTE_ADDR": addr or next(_addresses)}
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "username": name, "password": password},
                           environ_base=environ)
    if response.status_code == 303 and response.location == url:
        return "refused", client.get(url).get_data(as_text=True)
    assert response.status_code == 303 and response.location.startswith("/authorize?")
    return "ok", ""


def row(app, key: str) -> LoginThrottle | None:
    with app.app_context():
        return db.session.get(LoginThrottle, key)


def name_key(app, slug: str, name: str) -> str:
    with app.app_context():
        school_id = db.session.scalar(db.select(School.id).where(School.slug == slug))
    return f"name:{school_id}:{name}"


def test_throttle_after_free_attempts_even_the_right_password_is_refused(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
        status, page = attempt(client, url, "mari")
        assert status == "refused" and WRONG in page and WAIT not in page
    status, page = attempt(client, url, "mari", PASSWORD)
    assert status == "refused"
    assert WAIT in page and "Oota 1 min" in page and WRONG not in page
    assert client.get_cookie("idp_sso") is None


def test_throttle_lock_ends_after_the_delay(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
        attempt(client, url, "mari")
    clock.shift(app.config["LOGIN_BASE_DELAY"] + 1)
    assert attempt(client, url, "mari", PASSWORD)[0] == "ok"


def test_throttle_free_attempts_do_not_lock(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"] - 1):
        attempt(client, url, "mari")
    assert row(app, name_key(app, "alpha", "mari")).locked_until is None
    assert attempt(client, url, "mari", PASSWORD)[0] == "ok"


def test_throttle_delay_doubles_and_is_capped(app, client, world, clock):
    cfg = app.config
    url = login_url(client, world.schools["alpha"])
    key = name_key(app, "alpha", "mari")
    for _ in range(cfg["LOGIN_FREE_ATTEMPTS"] - 1):
        attempt(client, url, "mari")
    delays = []
    for _ in range(12):
        url = login_url(client, world.schools["alpha"])  # pending logins last 30 minutes
        assert attempt(client, url, "mari")[0] == "refused"
        lock = row(app, key)
        delays.append(int((lock.locked_until - lock.last_failure_at).total_seconds()))
        clock.shift(delays[-1] + 1)
    base, cap = cfg["LOGIN_BASE_DELAY"], cfg["LOGIN_MAX_DELAY"]
    expected = [min(base * 2 ** n, cap) for n in range(12)]
    assert delays == expected
    assert delays[-1] == cap and delays[0] == base


def test_throttle_attempts_during_a_lock_do_not_count(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
        attempt(client, url, "mari")
    failures = row(app, name_key(app, "alpha", "mari")).failures
    for _ in range(3):
        assert WAIT in attempt(client, url, "mari")[1]
    assert row(app, name_key(app, "alpha", "mari")).failures == failures


def test_throttle_per_address_across_different_names(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    # a whole school may share one address: it gets more free attempts than one name
    assert app.config["LOGIN_ADDRESS_FREE_ATTEMPTS"] > app.config["LOGIN_FREE_ATTEMPTS"]
    for n in range(app.config["LOGIN_ADDRESS_FREE_ATTEMPTS"]):
        attempt(client, url, f"guess{n}", addr="198.51.100.7")
    status, page = attempt(client, url, "mari", PASSWORD, addr="198.51.100.7")
    assert status == "refused" and WAIT in page
    assert attempt(client, url, "mari", PASSWORD, addr="198.51.100.8")[0] == "ok"


def test_throttle_success_clears_the_name_key_only(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"] - 1):
        attempt(client, url, "mari", addr="198.51.100.9")
    assert attempt(client, url, "mari", PASSWORD, addr="198.51.100.9")[0] == "ok"
    assert row(app, name_key(app, "alpha", "mari")) is None
    assert row(app, "addr:198.51.100.9").failures == app.config["LOGIN_FREE_ATTEMPTS"] - 1
    # the name starts again from zero
    url = login_url(client, world.schools["alpha"], prompt="login")
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"] - 1):
        attempt(client, url, "mari")
    assert attempt(client, url, "mari", PASSWORD)[0] == "ok"


def test_throttle_unknown_names_are_throttled_like_real_ones(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    pages = {}
    for name in ("mari", "tundmatu"):
        for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
            assert attempt(client, url, name)[0] == "refused"
        status, page = attempt(client, url, name, PASSWORD)
        assert status == "refused" and WAIT in page
        pages[name] = normalise(page)
    assert pages["mari"] == pages["tundmatu"]
    real, unknown = row(app, name_key(app, "alpha", "mari")), row(app, name_key(app, "alpha", "tundmatu"))
    assert (real.failures, real.locked_until) == (unknown.failures, unknown.locked_until)


def test_throttle_name_key_ignores_case_and_spaces(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    for name in ("Mari", "MARI", " mari", "mari ", "mArI"):
        attempt(client, url, name)
    assert WAIT in attempt(client, url, "mari", PASSWORD)[1]


def test_throttle_name_key_is_per_school(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"]):
        attempt(client, url, "mari")
    assert attempt(client, login_url(client, world.schools["beta"]), "mari", PASSWORD)[0] == "ok"


def test_throttle_counter_is_forgotten_after_a_quiet_period(app, client, world, clock):
    url = login_url(client, world.schools["alpha"])
    for _ in range(app.config["LOGIN_FREE_ATTEMPTS"] - 1):
        attempt(client, url, "mari")
    clock.shift(app.config["LOGIN_FORGET_AFTER"] + 1)
    url = login_url(client, world.schools["alpha"])  # the old login page has expired meanwhile
    attempt(client, url, "mari")  # counts as the first failure again, no lock
    assert row(app, name_key(app, "alpha", "mari")).failures == 1
    assert attempt(client, url, "mari", PASSWORD)[0] == "ok"
