"""Tenant isolation: alpha's director can neither see nor change beta's accounts, whatever the URL
or the form says. Every endpoint that takes an id is tried with beta's ids."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import Account, AuditEvent, Guardianship, RosterImport
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.helpers import csrf_token

from .conftest import account


def snapshot(app, account_id: int) -> tuple:
    with app.app_context():
        acc = db.session.get(Account, account_id)
        p = acc.person
        return (acc.username, acc.roles, acc.status, acc.external_id, p.given_name,
                p.family_name, p.email, p.isikukood, p.version)


@pytest.fixture
def beta_pair(app, directors):
    """A guardianship at beta: bert (made a parent too) and tiit; returns its id."""
    with app.app_context():
        bert = db.session.get(Account, directors["beta/bert"])
        tiit = db.session.get(Account, directors["beta/tiit"])
        bert.roles = ["admin", "parent", "teacher"]
        row, _ = account_service.add_guardianship(bert, tiit, actor="bert", via="admin")
        db.session.commit()
        return row.id


def token(client) -> str:
    return csrf_token(client.get("/admin/alpha/accounts/new").get_data(as_text=True))


EDIT = {"given_name": "Hacked", "family_name": "Hacked", "email": "x@example.ee",
        "isikukood": "", "birthdate": "", "external_id": "", "roles": ["staff"]}


@pytest.mark.parametrize("method, suffix, data", [
    ("GET", "", None),
    ("POST", "", EDIT),
    ("POST", "/disable", {}),
    ("POST", "/enable", {}),
    ("POST", "/children", {"child-username": "kati"}),
    ("POST", "/guardians", {"guardian-username": "mari"}),
], ids=["view", "edit", "disable", "enable", "add-child", "add-guardian"])
def test_another_schools_account_id_in_the_url_is_404(app, dora, directors, method, suffix, data):
    tiit = directors["beta/tiit"]
    before = snapshot(app, tiit)
    path = f"/admin/alpha/accounts/{tiit}{suffix}"
    if method == "GET":
        response = dora.get(path)
    else:
        response = dora.post(path, data={"csrf_token": token(dora), **data})
    assert response.status_code == 404
    assert "Tiit" not in response.get_data(as_text=True)
    assert snapshot(app, tiit) == before
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Guardianship)) == 0


def test_another_schools_guardianship_id_is_404(app, dora, directors, beta_pair):
    for account_id in (directors["alpha/kati"], directors["beta/tiit"]):
        path = f"/admin/alpha/accounts/{account_id}/guardianships/{beta_pair}/remove"
        assert dora.post(path, data={"csrf_token": token(dora)}).status_code == 404
    with app.app_context():
        assert db.session.get(Guardianship, beta_pair) is not None


def test_usernames_in_forms_are_looked_up_in_the_own_school_only(app, dora, directors):
    mari = account(app, "alpha", "mari")
    url = f"/admin/alpha/accounts/{mari.id}"
    response = dora.post(f"{url}/children", data={"csrf_token": token(dora), "child-username": "tiit"})
    assert response.status_code == 422
    kati = account(app, "alpha", "kati")
    response = dora.post(f"/admin/alpha/accounts/{kati.id}/guardians",
                         data={"csrf_token": token(dora), "guardian-username": "bert"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Guardianship)) == 0


def test_other_schools_ids_in_the_new_account_form_make_a_new_alpha_account(app, dora, directors):
    before = snapshot(app, directors["beta/tiit"])
    response = dora.post("/admin/alpha/accounts/new", data={
        "csrf_token": token(dora), "username": "tiit", "given_name": "Teine", "family_name": "Tiit",
        "external_id": "B-7", "roles": ["student"]})
    assert response.status_code == 303
    assert snapshot(app, directors["beta/tiit"]) == before
    new = account(app, "alpha", "tiit")
    assert new.id != directors["beta/tiit"] and new.external_id == "B-7"


def test_the_list_and_search_never_show_other_schools(dora):
    for query in ("", "?q=tiit", "?q=tamm", "?q=bert", "?role=admin"):
        html = dora.get(f"/admin/alpha/accounts{query}").get_data(as_text=True)
        assert ">tiit<" not in html and ">bert<" not in html


def test_the_audit_log_never_shows_other_schools(app, dora, directors, beta_pair):
    html = dora.get("/admin/alpha/audit").get_data(as_text=True)
    assert "tiit" not in html and "bert" not in html
    with app.app_context():
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.event == "guardianship_added"))


def test_another_schools_import_is_404(app, dora, directors):
    with app.app_context():
        item = RosterImport(token="beta-import", school_id=school_service.get("beta").id,
                            actor="bert", filename="beta.csv", plan_digest="x",
                            content="username;given_name;family_name;roles\nuus;U;U;student\n",
                            report={"counts": {"create": 1, "update": 0, "unchanged": 0,
                                               "rejected": 0, "guardianships": 0, "rows": 1},
                                    "rows": [], "guardianships": []})
        db.session.add(item)
        db.session.commit()
    assert dora.get("/admin/alpha/import/beta-import").status_code == 404
    assert dora.post("/admin/alpha/import/beta-import/apply",
                     data={"csrf_token": token(dora)}).status_code == 404
    assert dora.get("/admin/beta/import/beta-import").status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(RosterImport.status)) == "checked"
        assert db.session.scalar(db.select(Account).where(Account.username == "uus")) is None


def test_import_rows_naming_another_schools_accounts(app, dora, directors):
    """A row with beta's username or external id makes an alpha account; a guardian_of naming a
    beta student is rejected; beta's accounts stay as they were."""
    before = snapshot(app, directors["beta/tiit"])
    data = ("external_id;username;given_name;family_name;roles;guardian_of\n"
            "B-7;tiit;Changed;Changed;student;\n"
            "P1;bert;Bert;Kask;parent;B-7\n"
            "P2;isa;Isa;Kask;parent;B-8\n")
    from .test_admin_import import upload
    response = upload(dora, data)
    page = dora.get("/admin/alpha/import").get_data(as_text=True)
    assert response.status_code == 303
    report = dora.get(response.location).get_data(as_text=True)
    assert "Selles koolis ei ole õpilast välistunnusega B-8." in report
    from idp.roster import jobs
    import_token = response.location.rsplit("/", 1)[-1]
    dora.post(f"{response.location}/apply", data={"csrf_token": csrf_token(page)})
    jobs.wait(import_token)
    assert snapshot(app, directors["beta/tiit"]) == before
    assert snapshot(app, directors["beta/bert"])[1] == ["admin", "teacher"]
    alpha_tiit, alpha_bert = account(app, "alpha", "tiit"), account(app, "alpha", "bert")
    with app.app_context():
        assert set(db.session.execute(db.select(Guardianship.parent_account_id,
                                                Guardianship.student_account_id))) == \
            {(alpha_bert.id, alpha_tiit.id)}
