"""Every page of eID login, the profile completion, "Minu lapsed" and the password exceptions:
Estonian first, accessible (the static WCAG checks of tests/idp/test_accessibility.py), forms
CSRF-protected, and no request that makes one of them answer 500."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import School
from tests.eid_login.conftest import CODES
from tests.eid_login.flows import (
    authorize_url,
    idcard_login,
    profile_login_url,
    smartid_login,
    smartid_start,
)
from tests.helpers import SECRETS, csrf_token, school_base
from tests.idp._ui import find, parse

pytestmark = pytest.mark.e2e
ALPHA = {"client_id": "alpha", "secret": SECRETS["alpha"],
         "redirect_uri": f"{school_base('alpha')}/cb"}


def login_page(app, client, cast, standin, **_):
    login, _, _ = authorize_url(client, ALPHA, acr_values="high")
    return client.get(login).get_data(as_text=True)


def smartid_code_page(app, client, cast, standin, **_):
    login, _, _ = authorize_url(client, ALPHA)
    return client.get(smartid_start(client, login, CODES["mari"]).location).get_data(as_text=True)


def smartid_qr_page(app, client, cast, standin, **_):
    login, _, _ = authorize_url(client, ALPHA)
    return client.get(smartid_start(client, login).location).get_data(as_text=True)


def no_account_page(app, client, cast, standin, card_key, issue_card, **_):
    login, _, _ = authorize_url(client, ALPHA)
    certificate = issue_card("60001019906", "MARY ÄNN", "TESTNUMBER")
    return client.get(idcard_login(client, login, card_key, certificate)).get_data(as_text=True)


def as_mari(client, standin) -> None:
    smartid_login(client, standin, profile_login_url(client, "alpha"), CODES["mari"])


def as_dora(client, standin) -> None:
    first = client.get("/admin/alpha/password-exceptions")
    smartid_login(client, standin, first.location, CODES["dora"])


PAGES = {
    "login-with-eid": login_page,
    "smartid-verification-code": smartid_code_page,
    "smartid-qr": smartid_qr_page,
    "no-account": no_account_page,
    "profile": lambda app, client, cast, standin, **_: (
        as_mari(client, standin), client.get("/account/").get_data(as_text=True))[1],
    "password": lambda app, client, cast, standin, **_: (
        as_mari(client, standin), client.get("/account/password").get_data(as_text=True))[1],
    "email": lambda app, client, cast, standin, **_: (
        as_mari(client, standin), client.get("/account/email").get_data(as_text=True))[1],
    "email-link-invalid": lambda app, client, cast, standin, **_:
        client.get("/account/email/confirm/nothing").get_data(as_text=True),
    "children": lambda app, client, cast, standin, **_: (
        as_mari(client, standin), client.get("/account/children/").get_data(as_text=True))[1],
    "child": lambda app, client, cast, standin, **_: (
        as_mari(client, standin),
        client.get(f"/account/children/{cast.ids['alpha/kati']}").get_data(as_text=True))[1],
    "exceptions": lambda app, client, cast, standin, **_: (
        as_dora(client, standin),
        client.get("/admin/alpha/password-exceptions").get_data(as_text=True))[1],
    "exceptions-forbidden": lambda app, client, cast, standin, **_: (
        as_mari(client, standin),
        client.get("/admin/alpha/password-exceptions").get_data(as_text=True))[1],
}


@pytest.fixture(params=PAGES.values(), ids=PAGES.keys())
def rendered(request, app, client, cast, standin, card_key, issue_card):
    html = request.param(app, client, cast, standin, card_key=card_key, issue_card=issue_card)
    return html, parse(html)


def test_estonian_first_with_a_title_and_main(rendered):
    _html, elements = rendered
    [html] = find(elements, "html")
    assert html.attrs["lang"] == "et"
    [title] = find(elements, "title")
    assert title.text.strip()
    assert find(elements, "main", id="main")


def test_every_input_has_a_label_and_ids_are_unique(rendered):
    _html, elements = rendered
    labels = {label.attrs.get("for") for label in find(elements, "label")}
    for field in find(elements, "input") + find(elements, "select"):
        if field.attrs.get("type") != "hidden":
            assert field.attrs.get("id") in labels, field
    ids = [e.attrs["id"] for e in elements if "id" in e.attrs]
    assert len(ids) == len(set(ids))


def test_images_have_alt_and_buttons_names(rendered):
    _html, elements = rendered
    assert all("alt" in img.attrs for img in find(elements, "img"))
    assert all(button.text.strip() for button in find(elements, "button"))


def test_every_form_posts_with_a_csrf_token_and_scripts_are_ours(rendered):
    html, elements = rendered
    for form in find(elements, "form"):
        assert form.attrs["method"] == "post"
    assert html.count('name="csrf_token"') >= len(find(elements, "form"))
    for script in find(elements, "script"):
        assert script.attrs["src"].startswith("/static/eid/") and script.attrs["type"] == "module"
    assert not [e for e in elements if any(k.startswith("on") for k in e.attrs)]


# --- never a 500 ------------------------------------------------------------------------------

def test_odd_requests_get_clear_answers(app, client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    token = csrf_token(client.get(login).get_data(as_text=True))
    headers = {"X-CSRFToken": token}
    for body in (None, "text", [], {"token": None}, {"token": "x"}, {"token": {"format": 1}},
                 {"token": {"unverifiedCertificate": "!!", "format": "web-eid:1.0",
                            "algorithm": "ES384", "signature": "AA=="}}):
        kwargs = {"data": body} if isinstance(body, str) or body is None else {"json": body}
        response = client.post(f"{login}/idcard", headers=headers, **kwargs)
        assert response.status_code == 400, body
    for path in ("/smartid", "/smartid/qr.svg", "/no-account"):
        assert client.get(f"{login}{path}").status_code in (302, 404)
    for path in ("/smartid/status", "/smartid/check", "/smartid/cancel"):
        assert client.post(f"{login}{path}", data={"csrf_token": token}, headers=headers) \
            .status_code in (200, 303)
    assert client.post(f"{login}/smartid", data={"csrf_token": token,
                                                 "personal_code": "x" * 50}).status_code == 303
    assert client.get("/login/smartid/return?value=x").status_code == 400
    assert client.get("/login/nothing/smartid").status_code == 400
    assert client.post("/login/nothing/idcard/challenge", headers=headers).status_code == 400
    assert client.get("/account/children/999999").status_code == 303
    assert client.get("/admin/alpha/password-exceptions/1/revoke").status_code == 405


def test_odd_director_requests(app, cast, standin):
    client = app.test_client()
    as_dora(client, standin)
    url = "/admin/alpha/password-exceptions"
    token = csrf_token(client.get(url).get_data(as_text=True))
    for data in ({}, {"account": "x", "hours": "y"}, {"account": "999999", "hours": "1"},
                 {"account": str(cast.ids["alpha/juhan"]), "hours": "-1"},
                 {"account": str(cast.ids["alpha/juhan"]), "hours": "1", "reason": "x" * 500}):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 303, data
    assert client.post(f"{url}/999999/revoke", data={"csrf_token": token}).status_code == 404


def test_without_smartid_and_idcard_configured_the_login_page_is_as_before(app, client, world):
    app.config.update(SMARTID_RELYING_PARTY_UUID="", WEBEID_ORIGIN="")
    login, _, _ = authorize_url(client, world.schools["alpha"])
    html = client.get(login).get_data(as_text=True)
    assert 'class="eid-options"' not in html and "<script" not in html
    assert client.post(f"{login}/smartid", data={
        "csrf_token": csrf_token(html)}).status_code == 404


def test_school_of_the_login_switched_off_meanwhile(app, client, cast, standin):
    login, _, _ = authorize_url(client, ALPHA)
    smartid_start(client, login, CODES["mari"])
    with app.app_context():
        db.session.scalar(db.select(School).where(School.slug == "alpha")).enabled = False
        db.session.commit()
    assert client.get(f"{login}/smartid").status_code == 404
