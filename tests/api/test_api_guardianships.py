"""Guardianships through the API: PUT / DELETE /accounts/{parent}/students/{student}."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import AuditEvent, Guardianship

from .conftest import student


@pytest.fixture
def family(alpha):
    assert alpha.put("/accounts/S1", student()).status_code == 201
    assert alpha.put("/accounts/P1", student(username="mari.kask", given_name="Mari",
                                             roles=["parent"])).status_code == 201
    assert alpha.put("/accounts/T1", student(username="ope", roles=["teacher"])).status_code == 201
    return alpha


def test_put_links_once_and_is_idempotent(app, family):
    response = family.put("/accounts/P1/students/S1")
    assert response.status_code == 201 and response.get_json() == {"parent": "P1", "student": "S1"}
    assert family.put("/accounts/P1/students/S1").status_code == 200
    assert family.get("/accounts/P1").get_json()["students"] == [
        {"external_id": "S1", "username": "kati.kask"}]
    assert family.get("/accounts/S1").get_json()["guardians"] == [
        {"external_id": "P1", "username": "mari.kask"}]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Guardianship)) == 1
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "guardianship_added"))
        assert event.actor == "api:alpha" and event.details["via"] == "api"


@pytest.mark.parametrize("path, code", [
    ("/accounts/T1/students/S1", "does not have the parent role"),
    ("/accounts/P1/students/T1", "does not have the student role"),
    ("/accounts/P1/students/P1", "cannot be its own guardian"),
], ids=["not-a-parent", "not-a-student", "self"])
def test_roles_must_fit(family, path, code):
    response = family.put(path)
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    assert code in response.get_json()["detail"]


def test_unknown_accounts_are_404(family):
    assert family.put("/accounts/P1/students/S9").status_code == 404
    assert family.put("/accounts/P9/students/S1").status_code == 404
    assert family.delete("/accounts/P1/students/S9").status_code == 404


def test_delete_unlinks_and_is_idempotent(app, family):
    family.put("/accounts/P1/students/S1")
    assert family.delete("/accounts/P1/students/S1").status_code == 204
    assert family.delete("/accounts/P1/students/S1").status_code == 204
    assert family.get("/accounts/P1").get_json()["students"] == []
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent.actor).where(
            AuditEvent.event == "guardianship_removed")) == "api:alpha"
