"""Staff log in with ID-card or Smart-ID, as in Stuudium: a teacher's or staff member's password
is refused (and why, once the password was right), a director may allow it for at most a day
(audited), a director's own account never logs in with a password alone; a school's
``acr_values=high`` refuses password sessions (OIDC Core 3.1.2.1)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine

from idp.extensions import db
from idp.models import Account, AuditEvent, PasswordException, School
from idp.services import accounts as account_service
from tests.eid_login.conftest import CODES
from tests.eid_login.flows import (
    authorize_url,
    code_and_tokens,
    id_token_claims,
    profile_login_url,
    smartid_login,
)
from tests.helpers import PASSWORD, SECRETS, csrf_token, query, school_base
from tests.idp._ui import failed_login_page, post_login

pytestmark = pytest.mark.e2e
ALPHA = {"client_id": "alpha", "secret": SECRETS["alpha"],
         "redirect_uri": f"{school_base('alpha')}/cb"}
STAFF_REFUSAL = ("Kooli töötajad logivad sisse ID-kaardi või Smart-ID-ga. Kui sa ei saa neid täna "
                 "kasutada, palu kooli direktoril lubada sulle üheks päevaks salasõna.")
T0 = dt.datetime(2026, 9, 1, 7, 30, tzinfo=dt.UTC)


def error_on(page: str) -> str:
    match = re.search(r'<p class="error" role="alert"[^>]*>([^<]+)</p>', page)
    assert match, "no error message"
    return html.unescape(match.group(1))


def password_login(client, username: str, password: str = PASSWORD):
    return post_login(client, profile_login_url(client, "alpha"), username, password)


@pytest.mark.parametrize(("username", "message"), [
    ("juhan", STAFF_REFUSAL), ("sten", STAFF_REFUSAL),
    ("dora", "Direktori konto logib sisse ainult ID-kaardi või Smart-ID-ga."),
], ids=["teacher", "staff", "director"])
def test_staff_password_is_refused_with_the_reason(app, client, cast, username, message):
    login = profile_login_url(client, "alpha")
    page = failed_login_page(client, login, username)
    assert error_on(page) == message
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.details).where(
            AuditEvent.event == "login_refused")) == {"reason": "staff_eid"}


def test_wrong_password_of_a_teacher_reveals_nothing(client, cast):
    page = failed_login_page(client, profile_login_url(client, "alpha"), "juhan", "wrong pw 123")
    assert error_on(page) == "Kasutajanimi või salasõna on vale."


def test_parents_and_students_keep_their_passwords(client, cast):
    assert password_login(client, "mari").status_code == 303
    assert password_login(client, "kati", PASSWORD + "!").status_code == 303
    assert client.get("/account/").status_code == 200


@pytest.mark.parametrize("app_config", [{"STAFF_EID_REQUIRED": False}], indirect=True)
def test_the_policy_can_be_switched_off_by_configuration(client, cast):
    assert password_login(client, "juhan").location == "/account/"


def director_logs_in(client, standin, slug: str = "alpha") -> str:
    """Dora opens the exceptions page: the login asks for eID first; returns the page URL."""
    url = f"/admin/{slug}/password-exceptions"
    first = client.get(url)
    assert first.status_code == 303 and first.location.startswith("/login/")
    done = smartid_login(client, standin, first.location, CODES["dora"])
    assert done == {"state": "done", "redirect": url}
    return url


def grant(client, url: str, account_id: int, hours: int = 24, reason: str = "ID-kaart kadunud"):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, "account": account_id, "hours": hours,
                                  "reason": reason})


def test_one_day_exception_lets_the_teacher_in_and_then_expires(app, cast, standin):
    director, teacher = app.test_client(), app.test_client()
    with time_machine.travel(T0, tick=False) as traveller:
        url = director_logs_in(director, standin)
        page = director.get(url).get_data(as_text=True)
        assert "Salasõna erandid" in page and "juhan" in page
        granted = grant(director, url, cast.ids["alpha/juhan"])
        assert granted.status_code == 303 and granted.location == url
        assert "juhan võib salasõnaga sisse logida kuni 02.09.2026 10:30." in \
            director.get(url).get_data(as_text=True)
        traveller.shift(dt.timedelta(hours=23, minutes=59))
        assert password_login(teacher, "juhan").location == "/account/"
        traveller.shift(dt.timedelta(minutes=1))
        later = app.test_client()
        assert error_on(failed_login_page(later, profile_login_url(later, "alpha"), "juhan")) \
            == STAFF_REFUSAL
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(
            AuditEvent.event == "password_exception_granted"))
        assert event.actor == "dora" and event.details["username"] == "juhan"
        assert event.details["hours"] == 24 and event.details["reason"] == "ID-kaart kadunud"


def test_exception_may_be_ended_early(app, cast, standin):
    director, teacher = app.test_client(), app.test_client()
    url = director_logs_in(director, standin)
    grant(director, url, cast.ids["alpha/juhan"], hours=3)
    with app.app_context():
        row_id = db.session.scalar(db.select(PasswordException.id))
    token = csrf_token(director.get(url).get_data(as_text=True))
    ended = director.post(f"{url}/{row_id}/revoke", data={"csrf_token": token})
    assert ended.status_code == 303
    assert error_on(failed_login_page(teacher, profile_login_url(teacher, "alpha"), "juhan")) \
        == STAFF_REFUSAL
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.actor).where(
            AuditEvent.event == "password_exception_revoked")) == "dora"


@pytest.mark.parametrize(("who", "hours", "message"), [
    ("alpha/dora", 24, "Direktori konto ei logi kunagi sisse ainult salasõnaga."),
    ("alpha/mari", 24, "Salasõna erandit vajavad ainult õpetajad ja töötajad"),
    ("alpha/juhan", 25, "Vali 1 kuni 24 tundi."),
    ("alpha/juhan", 0, "Vali 1 kuni 24 tundi."),
    ("beta/mari", 24, "Vali kooli õpetaja või töötaja konto."),
    ("alpha/juhan+long-reason", 24, "Kirjuta põhjus kuni 200 märgiga."),
], ids=["director", "parent", "more-than-a-day", "zero", "another-school", "long-reason"])
def test_exceptions_that_may_not_be_granted(app, cast, standin, who, hours, message):
    director = app.test_client()
    url = director_logs_in(director, standin)
    who, _, long_reason = who.partition("+")
    refused = grant(director, url, cast.ids[who], hours=hours,
                    **({"reason": "x" * 201} if long_reason else {}))
    assert refused.status_code == 303
    assert error_on(director.get(url).get_data(as_text=True)).startswith(message)
    with app.app_context():
        assert db.session.scalar(db.select(PasswordException.id)) is None


def test_monthly_limit(app, cast, standin):
    director = app.test_client()
    url = director_logs_in(director, standin)
    for _ in range(app.config["PASSWORD_EXCEPTIONS_PER_MONTH"]):
        assert grant(director, url, cast.ids["alpha/juhan"], hours=1).status_code == 303
    grant(director, url, cast.ids["alpha/juhan"], hours=1)
    assert "lubatud arv salasõna erandeid" in error_on(director.get(url).get_data(as_text=True))


def test_only_a_director_of_that_school_opens_the_page(app, cast, standin):
    teacher = app.test_client()
    first = teacher.get("/admin/alpha/password-exceptions")
    smartid_login(teacher, standin, first.location, CODES["mari"])  # a parent, not a director
    assert teacher.get("/admin/alpha/password-exceptions").status_code == 403
    director = app.test_client()
    director_logs_in(director, standin)
    assert director.get("/admin/beta/password-exceptions").status_code == 403  # not hers
    assert director.get("/admin/nowhere/password-exceptions").status_code == 404


def test_revoking_another_schools_exception_is_not_found(app, cast, standin):
    with app.app_context():
        beta = db.session.scalar(db.select(School).where(School.slug == "beta"))
        bert = account_service.add(beta, username="bert", given_name="Bert", family_name="B",
                                   roles=["teacher"])
        db.session.add(PasswordException(school_id=beta.id, account_id=bert.id,
                                         granted_by_account_id=bert.id,
                                         expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)))
        db.session.commit()
        row_id = db.session.scalar(db.select(PasswordException.id))
    director = app.test_client()
    url = director_logs_in(director, standin)
    token = csrf_token(director.get(url).get_data(as_text=True))
    assert director.post(f"{url}/{row_id}/revoke", data={"csrf_token": token}).status_code == 404


def test_staff_account_reached_through_a_link_needs_eid_too(app, cast, world, standin):
    """Mari is a parent at alpha and (linked) a teacher at beta: her password session at alpha
    does not open beta; a Smart-ID session does."""
    with app.app_context():
        account = db.session.get(Account, cast.ids["beta/mari"])
        account.roles = ["parent", "teacher"]
        db.session.commit()
    client = app.test_client()
    assert password_login(client, "mari").status_code == 303
    beta = world.schools["beta"]
    login, _, _ = authorize_url(client, beta)  # asks for a login again
    assert "palub sul sisse logida ID-kaardi või Smart-ID-ga" not in \
        client.get(login).get_data(as_text=True)
    page = failed_login_page(client, login, "mari")
    assert error_on(page) == STAFF_REFUSAL
    done = smartid_login(client, standin, login, CODES["mari"])
    assert client.get(done["redirect"]).location.startswith(beta["redirect_uri"])


def test_acr_values_high_refuses_a_password_session(app, client, cast, standin):
    assert password_login(client, "mari").status_code == 303
    login, verifier, _ = authorize_url(client, ALPHA, acr_values="high")
    page = client.get(login).get_data(as_text=True)
    assert "Alfa Kool palub sul sisse logida ID-kaardi või Smart-ID-ga." in html.unescape(page)
    token = csrf_token(page)
    refused = client.post(login, data={"csrf_token": token, "username": "mari",
                                       "password": PASSWORD})
    assert refused.status_code == 303 and refused.location == login
    assert error_on(client.get(login).get_data(as_text=True)) == \
        "Alfa Kool palub sul sisse logida ID-kaardi või Smart-ID-ga."
    done = smartid_login(client, standin, login, CODES["mari"])
    claims = id_token_claims(app, code_and_tokens(client, ALPHA, done["redirect"], verifier))
    assert claims["acr"] == "high" and claims["amr"] == ["smartid"]


def test_acr_values_high_with_prompt_none_and_a_password_session(client, cast):
    assert password_login(client, "mari").status_code == 303
    from tests.helpers import auth_params, pkce_pair
    _, challenge = pkce_pair()
    response = client.get("/authorize", query_string=auth_params(
        ALPHA, challenge, acr_values="high", prompt="none"))
    assert response.status_code == 302 and response.location.startswith(ALPHA["redirect_uri"])
    assert query(response.location)["error"] == "login_required"


@pytest.mark.parametrize("acr_values", ["low", "low high", "urn:unknown"])
def test_a_password_answers_weaker_requests(client, cast, acr_values):
    assert password_login(client, "mari").status_code == 303
    from tests.helpers import auth_params, pkce_pair
    _, challenge = pkce_pair()
    response = client.get("/authorize", query_string=auth_params(ALPHA, challenge,
                                                                 acr_values=acr_values))
    assert response.location.startswith(ALPHA["redirect_uri"]) and "code=" in response.location


def test_an_eid_session_answers_acr_high_without_a_new_login(app, client, cast, standin):
    login = profile_login_url(client, "alpha")
    smartid_login(client, standin, login, CODES["mari"])
    from tests.helpers import auth_params, pkce_pair
    _, challenge = pkce_pair()
    response = client.get("/authorize", query_string=auth_params(ALPHA, challenge,
                                                                 acr_values="high"))
    assert response.location.startswith(ALPHA["redirect_uri"]) and "code=" in response.location
