"""Static accessibility checks (WCAG 2.1) on the HTML of the pages people see."""

from __future__ import annotations

import pytest

from tests.helpers import csrf_token

from ._ui import failed_login_page, find, login_at_school, login_url, parse


def login(client, world):
    return client.get(login_url(client, world.schools["alpha"])).get_data(as_text=True)


def login_english(client, world):
    url = login_url(client, world.schools["alpha"], ui_locales="en")
    return client.get(url).get_data(as_text=True)


def login_failed(client, world):
    return failed_login_page(client, login_url(client, world.schools["alpha"]), "mari", "wrong!!!")


def profile(client, world):
    login_at_school(client, "alpha", "mari")
    return client.get("/account/").get_data(as_text=True)


def logged_out(client, world):
    token = csrf_token(profile(client, world))
    return client.post("/account/logout", data={"csrf_token": token}).get_data(as_text=True)


PAGES = {
    "login": login, "login-en": login_english, "login-failed": login_failed,
    "login-expired": lambda c, w: c.get("/login/gone").get_data(as_text=True),
    "choose-school": lambda c, w: c.get("/account/login").get_data(as_text=True),
    "profile": profile, "logged-out": logged_out,
    "error": lambda c, w: c.get("/authorize?client_id=nobody").get_data(as_text=True),
}


@pytest.fixture(params=PAGES.values(), ids=PAGES.keys())
def page(request, client, world):
    return parse(request.param(client, world))


def test_WCAG_3_1_1_language_of_page(page):
    [html] = find(page, "html")
    assert html.attrs.get("lang") in ("et", "en")


def test_WCAG_2_4_2_page_titled(page):
    [title] = find(page, "title")
    assert title.text.strip()


def test_WCAG_2_4_1_skip_link_to_main_content(page):
    first_link = find(page, "a")[0]
    assert first_link.attrs["href"] == "#main" and first_link.text.strip()
    assert find(page, "main", id="main")


def test_WCAG_1_3_1_every_input_has_a_label(page):
    labels = {label.attrs.get("for") for label in find(page, "label")}
    for field in find(page, "input") + find(page, "select") + find(page, "textarea"):
        if field.attrs.get("type") == "hidden":
            continue
        assert field.attrs.get("id") in labels, field
        [label] = [lb for lb in find(page, "label") if lb.attrs.get("for") == field.attrs["id"]]
        assert label.text.strip()


def test_WCAG_1_1_1_images_have_alt(page):
    assert all("alt" in img.attrs for img in find(page, "img"))


def test_WCAG_4_1_2_buttons_have_names(page):
    assert all(button.text.strip() for button in find(page, "button"))


def test_WCAG_4_1_1_ids_are_unique(page):
    ids = [e.attrs["id"] for e in page if "id" in e.attrs]
    assert len(ids) == len(set(ids))


def test_WCAG_4_1_2_language_switch_names_its_language(page):
    assert [n for n in find(page, "nav") if n.attrs.get("aria-label")]
    switch = [a for a in find(page, "a") if a.attrs.get("href", "").startswith("/lang/")]
    assert len(switch) == 1 and switch[0].attrs.get("lang") in ("et", "en")


@pytest.mark.parametrize("locale", ["et", "en"])
def test_WCAG_3_3_1_error_is_announced_and_tied_to_the_fields(client, world, locale):
    url = login_url(client, world.schools["alpha"], ui_locales=locale)
    page = parse(failed_login_page(client, url, "mari", "wrong password"))
    alerts = [e for e in page if e.attrs.get("role") == "alert"]
    assert len(alerts) == 1
    expected = {"et": "Kasutajanimi või salasõna on vale.",
                "en": "The username or password is incorrect."}[locale]
    assert alerts[0].text.strip() == expected
    for name in ("username", "password"):
        [field] = find(page, "input", name=name)
        assert field.attrs.get("aria-invalid") == "true"
        assert field.attrs.get("aria-describedby") == alerts[0].attrs["id"]


def test_WCAG_3_3_1_no_error_markup_before_a_failure(client, world):
    page = parse(login(client, world))
    assert not [e for e in page if e.attrs.get("role") == "alert"]
    assert not [e for e in page if "aria-invalid" in e.attrs or "aria-describedby" in e.attrs]


def test_WCAG_3_3_2_inputs_say_what_they_are_for(client, world):
    page = parse(login(client, world))
    [username] = find(page, "input", name="username")
    [password] = find(page, "input", name="password")
    assert username.attrs["autocomplete"] == "username" and username.attrs["type"] == "text"
    assert password.attrs["autocomplete"] == "current-password"
    assert password.attrs["type"] == "password"


@pytest.mark.parametrize("pages", [login, login_failed, profile], ids=["login", "failed", "profile"])
def test_login_works_without_javascript(client, world, pages):
    page = parse(pages(client, world))
    assert not find(page, "script")
    assert not [e for e in page if any(k.startswith("on") for k in e.attrs)]  # no onclick etc.
    for form in find(page, "form"):
        assert form.attrs["method"] == "post"
        assert [b for b in find(page, "button") if b.attrs.get("type", "submit") == "submit"]
