"""Static accessibility checks (WCAG 2.1) of the director's pages, as for the login pages."""

from __future__ import annotations

import pytest

from tests.helpers import csrf_token
from tests.idp._ui import find, login_at_school, parse

from .conftest import account


def new_with_errors(client, app):
    page = client.get("/admin/alpha/accounts/new").get_data(as_text=True)
    return client.post("/admin/alpha/accounts/new", data={
        "csrf_token": csrf_token(page), "username": "x", "given_name": "", "family_name": "K",
        "isikukood": "123", "roles": []}).get_data(as_text=True)


def account_page(client, app):
    return client.get(f"/admin/alpha/accounts/{account(app, 'alpha', 'mari').id}").get_data(as_text=True)


def guardian_error(client, app):
    url = f"/admin/alpha/accounts/{account(app, 'alpha', 'mari').id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(f"{url}/children", data={"csrf_token": token, "child-username": "nobody"}
                       ).get_data(as_text=True)


def import_error(client, app):
    page = client.get("/admin/alpha/import").get_data(as_text=True)
    return client.post("/admin/alpha/import", data={"csrf_token": csrf_token(page)}).get_data(as_text=True)


def import_report(client, app):
    from .test_admin_import import upload
    return client.get(upload(client).location).get_data(as_text=True)


def forbidden(client, app):
    login_at_school(client, "alpha", "mari")
    return client.get("/admin/alpha/accounts").get_data(as_text=True)


PAGES = {
    "accounts": lambda c, a: c.get("/admin/alpha/accounts").get_data(as_text=True),
    "accounts-en": lambda c, a: (c.get("/lang/en"), c.get("/admin/alpha/accounts"))[1].get_data(as_text=True),
    "new": lambda c, a: c.get("/admin/alpha/accounts/new").get_data(as_text=True),
    "new-errors": new_with_errors,
    "account": account_page,
    "guardian-error": guardian_error,
    "audit": lambda c, a: c.get("/admin/alpha/audit").get_data(as_text=True),
    "import": lambda c, a: c.get("/admin/alpha/import").get_data(as_text=True),
    "import-error": import_error,
    "import-report": import_report,
    "forbidden": forbidden,
}


@pytest.fixture(params=PAGES.values(), ids=PAGES.keys())
def page(request, app, dora):
    return parse(request.param(dora, app))


def test_WCAG_3_1_1_language_of_page(page):
    [html] = find(page, "html")
    assert html.attrs.get("lang") in ("et", "en")


def test_WCAG_2_4_2_page_titled(page):
    [title] = find(page, "title")
    assert title.text.strip()


def test_WCAG_2_4_1_skip_link_and_one_h1(page):
    assert find(page, "a")[0].attrs["href"] == "#main" and find(page, "main", id="main")
    assert len(find(page, "h1")) == 1


def test_WCAG_1_3_1_every_control_has_a_label(page):
    labels = {label.attrs.get("for") for label in find(page, "label")}
    for field in find(page, "input") + find(page, "select") + find(page, "textarea"):
        if field.attrs.get("type") == "hidden":
            continue
        assert field.attrs.get("id") in labels, field


def test_WCAG_1_3_1_tables_have_headers_and_captions(page):
    for table in find(page, "table"):
        assert table.text.strip()
    assert len(find(page, "caption")) == len(find(page, "table"))
    assert all(th.attrs.get("scope") == "col" for th in find(page, "th"))


def test_WCAG_4_1_1_ids_are_unique_and_references_resolve(page):
    ids = [e.attrs["id"] for e in page if "id" in e.attrs]
    assert len(ids) == len(set(ids))
    for element in page:
        for ref in element.attrs.get("aria-describedby", "").split():
            assert ref in ids, (element, ref)


def test_WCAG_4_1_2_buttons_and_links_have_names(page):
    assert all(button.text.strip() for button in find(page, "button"))
    assert all(a.text.strip() for a in find(page, "a"))


def test_WCAG_3_3_1_at_most_one_alert_and_invalid_fields_point_to_their_error(page):
    alerts = [e for e in page if e.attrs.get("role") == "alert"]
    assert len(alerts) <= 1
    for field in [e for e in page if e.attrs.get("aria-invalid") == "true"]:
        described = field.attrs["aria-describedby"].split()
        assert any(ref.endswith("-error") for ref in described), field


def test_no_scripts_and_posts_carry_a_csrf_token(page):
    assert not find(page, "script")
    assert not [e for e in page if any(k.startswith("on") for k in e.attrs)]
    forms = find(page, "form")
    posts = [f for f in forms if f.attrs.get("method") == "post"]
    tokens = [i for i in find(page, "input") if i.attrs.get("name") == "csrf_token"]
    assert len(tokens) == len(posts)


def test_errors_are_announced(app, dora):
    page = parse(new_with_errors(dora, app))
    [alert] = [e for e in page if e.attrs.get("role") == "alert"]
    links = [a.attrs["href"] for a in find(page, "a") if a.attrs.get("href", "").startswith("#")
             and a.attrs["href"] != "#main"]
    assert links == ["#username", "#given_name", "#isikukood", "#roles"]  # keyboard: jump to each
    assert "Palun paranda märgitud väljad" in alert.text
