"""Guardianships on the director's pages: a parent's and a student's account at the same school."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import AuditEvent, Guardianship
from tests.helpers import csrf_token
from tests.idp._ui import find, parse

from .conftest import account


def pairs(app) -> set[tuple[str, str]]:
    from idp.models import Account
    with app.app_context():
        rows = db.session.execute(db.select(Guardianship.parent_account_id,
                                            Guardianship.student_account_id))
        name = {a.id: a.username for a in db.session.scalars(db.select(Account))}
        return {(name[p], name[s]) for p, s in rows}


def add(client, app, username: str, kind: str, other: str):
    url = f"/admin/alpha/accounts/{account(app, 'alpha', username).id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    path = "children" if kind == "child" else "guardians"
    return client.post(f"{url}/{path}", data={"csrf_token": token, f"{kind}-username": other})


def test_add_a_child_to_a_parent_and_see_it_on_both_pages(app, dora):
    response = add(dora, app, "mari", "child", "KATI")
    mari, kati = account(app, "alpha", "mari"), account(app, "alpha", "kati")
    assert response.status_code == 303 and response.location.endswith(f"/accounts/{mari.id}")
    assert pairs(app) == {("mari", "kati")}
    page = dora.get(response.location).get_data(as_text=True)
    assert "mari on õpilase kati vanem." in page
    assert f'href="/admin/alpha/accounts/{kati.id}"' in page
    assert f'href="/admin/alpha/accounts/{mari.id}"' in dora.get(
        f"/admin/alpha/accounts/{kati.id}").get_data(as_text=True)
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "guardianship_added"))
    assert event.actor == "dora" and event.details == {"parent": "mari", "student": "kati",
                                                       "via": "admin"}
    again = add(dora, app, "mari", "child", "kati")
    assert again.status_code == 303 and pairs(app) == {("mari", "kati")}
    assert "mari on juba õpilase kati vanem." in dora.get(again.location).get_data(as_text=True)


def test_add_a_guardian_to_a_student(app, dora):
    assert add(dora, app, "kati", "guardian", "mari").status_code == 303
    assert pairs(app) == {("mari", "kati")}


@pytest.mark.parametrize("username, kind, other, message", [
    ("mari", "child", "nobody", "Selles koolis ei ole kasutajakontot nobody."),
    ("mari", "child", "", "Selles koolis ei ole kasutajakontot -."),
    ("mari", "child", "juhan", "Kasutajal juhan ei ole õpilase rolli."),
    ("kati", "guardian", "juhan", "Kasutajal juhan ei ole lapsevanema rolli."),
    ("mari", "child", "tiit", "Selles koolis ei ole kasutajakontot tiit."),  # tiit is at beta
], ids=["unknown", "empty", "not-a-student", "not-a-parent", "other-school"])
def test_refused_guardianships(app, dora, username, kind, other, message):
    response = add(dora, app, username, kind, other)
    assert response.status_code == 422
    page = parse(response.get_data(as_text=True))
    [alert] = [e for e in page if e.attrs.get("role") == "alert"]
    assert alert.text.strip() == message
    [field] = find(page, "input", name=f"{kind}-username")
    assert field.attrs["aria-invalid"] == "true" and field.attrs["aria-describedby"] == alert.attrs["id"]
    assert pairs(app) == set()


def test_remove_a_guardianship(app, dora):
    add(dora, app, "mari", "child", "kati")
    kati = account(app, "alpha", "kati")
    with app.app_context():
        gid = db.session.scalar(db.select(Guardianship.id))
    url = f"/admin/alpha/accounts/{kati.id}"
    page = dora.get(url).get_data(as_text=True)
    assert f"{url}/guardianships/{gid}/remove" in page
    response = dora.post(f"{url}/guardianships/{gid}/remove", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303 and pairs(app) == set()
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.actor).where(
            AuditEvent.event == "guardianship_removed")) == "dora"
    again = dora.post(f"{url}/guardianships/{gid}/remove", data={"csrf_token": csrf_token(page)})
    assert again.status_code == 404


def test_a_guardianship_is_removed_only_through_its_own_accounts(app, dora):
    add(dora, app, "mari", "child", "kati")
    juhan = account(app, "alpha", "juhan")
    with app.app_context():
        gid = db.session.scalar(db.select(Guardianship.id))
    url = f"/admin/alpha/accounts/{juhan.id}"
    token = csrf_token(dora.get(url).get_data(as_text=True))
    assert dora.post(f"{url}/guardianships/{gid}/remove", data={"csrf_token": token}).status_code == 404
    assert pairs(app) == {("mari", "kati")}


def test_a_refused_guardianship_keeps_the_edit_form_filled(app, dora):
    response = add(dora, app, "mari", "child", "nobody")
    page = parse(response.get_data(as_text=True))
    [given] = find(page, "input", name="given_name")
    assert given.attrs["value"] == "Mari"
