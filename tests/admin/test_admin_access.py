"""Who reaches the director's pages: a live SSO session whose person directs that school."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import Account, School
from tests.helpers import csrf_token
from tests.idp._ui import find, login_at_school, parse, post_login

from .conftest import ids

# every page of a school, with the method it answers (ids filled in per test)
PAGES = [
    ("GET", "/admin/{slug}/"),
    ("GET", "/admin/{slug}/accounts"),
    ("GET", "/admin/{slug}/accounts/new"),
    ("POST", "/admin/{slug}/accounts/new"),
    ("GET", "/admin/{slug}/accounts/{id}"),
    ("POST", "/admin/{slug}/accounts/{id}"),
    ("POST", "/admin/{slug}/accounts/{id}/disable"),
    ("POST", "/admin/{slug}/accounts/{id}/enable"),
    ("POST", "/admin/{slug}/accounts/{id}/children"),
    ("POST", "/admin/{slug}/accounts/{id}/guardians"),
    ("POST", "/admin/{slug}/accounts/{id}/guardianships/1/remove"),
    ("GET", "/admin/{slug}/audit"),
    ("GET", "/admin/{slug}/import"),
    ("POST", "/admin/{slug}/import"),
    ("GET", "/admin/{slug}/import/template.csv"),
    ("GET", "/admin/{slug}/import/sometoken"),
    ("POST", "/admin/{slug}/import/sometoken/apply"),
]
PAGE_IDS = [f"{m}-{p.removeprefix('/admin/{slug}/')}" for m, p in PAGES]


def call(client, method: str, path: str, token: str | None = None):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": token} if token else {})


def token_of(client) -> str:
    return csrf_token(client.get("/account/").get_data(as_text=True))


@pytest.mark.parametrize("method, path", PAGES, ids=PAGE_IDS)
def test_without_a_session_every_page_sends_to_the_schools_login(client, directors, method, path):
    page = client.get("/login/school/alpha")  # any page with a CSRF token
    token = csrf_token(client.get(page.location).get_data(as_text=True))
    response = call(client, method, path.format(slug="alpha", id=directors["alpha/kati"]), token)
    assert response.status_code == 303
    assert response.location.startswith("/login/")
    assert "Alfa Kool" in client.get(response.location).get_data(as_text=True)


def test_after_logging_in_the_director_lands_on_the_page_asked_for(client, directors):
    response = client.get("/admin/alpha/accounts?q=kask")
    login = post_login(client, response.location, "dora")
    assert login.status_code == 303 and login.location == "/admin/alpha/accounts?q=kask"
    assert client.get(login.location).status_code == 200


@pytest.mark.parametrize("method, path", PAGES, ids=PAGE_IDS)
def test_a_person_who_is_not_the_director_gets_a_friendly_403(client, directors, method, path):
    login_at_school(client, "alpha", "mari")
    response = call(client, method, path.format(slug="alpha", id=directors["alpha/kati"]),
                    token_of(client))
    assert response.status_code == 403
    page = parse(response.get_data(as_text=True))
    [alert] = [e for e in page if e.attrs.get("role") == "alert"]
    assert "Alfa Kool" in alert.text


@pytest.mark.parametrize("method, path", PAGES, ids=PAGE_IDS)
def test_the_director_of_one_school_gets_403_at_another(dora, directors, method, path):
    response = call(dora, method, path.format(slug="beta", id=directors["beta/tiit"]),
                    token_of(dora))
    assert response.status_code == 403
    assert "Beeta Gümnaasium" in response.get_data(as_text=True)


def test_the_pages_are_in_estonian_first(dora):
    page = dora.get("/admin/alpha/accounts").get_data(as_text=True)
    assert '<html lang="et">' in page and "Kasutajakontod" in page


def test_unknown_and_disabled_schools_are_404(app, dora):
    assert dora.get("/admin/nowhere/accounts").status_code == 404
    with app.app_context():
        db.session.scalar(db.select(School).where(School.slug == "alpha")).enabled = False
        db.session.commit()
    assert dora.get("/admin/alpha/accounts").status_code == 404


def test_a_disabled_director_account_has_no_access(app, dora):
    with app.app_context():
        db.session.get(Account, ids()["alpha/dora"]).status = "disabled"
        db.session.commit()
    assert dora.get("/admin/alpha/accounts").status_code in (303, 403)


def test_admin_index(client, app, directors):
    assert client.get("/admin/").location == "/account/login"
    login_at_school(client, "alpha", "mari")
    assert client.get("/admin/").status_code == 403
    login_at_school(client, "alpha", "dora")
    assert client.get("/admin/").location == "/admin/alpha/accounts"
    with app.app_context():  # dora links her account with the director's at beta
        bert = db.session.get(Account, directors["beta/bert"])
        bert.person_id = db.session.get(Account, directors["alpha/dora"]).person_id
        db.session.commit()
    page = parse(client.get("/admin/").get_data(as_text=True))
    links = {a.attrs["href"] for a in find(page, "a")}
    assert {"/admin/alpha/accounts", "/admin/beta/accounts"} <= links
    assert client.get("/admin/beta/accounts").status_code == 200  # directs both now


def test_the_stylesheet_is_served_without_login(client):
    with client.get("/admin/static/admin.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
