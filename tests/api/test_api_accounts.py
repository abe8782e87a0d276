"""The provisioning API's accounts: idempotent upsert, get, list with a cursor, disable, enable."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.models import Account, AuditEvent, Token
from idp.services import accounts as account_service
from idp.services import schools as school_service

from .conftest import student

CODE = "50001010006"  # a valid isikukood, born 2000-01-01


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))


def problem(response, status: int, kind: str | None = None) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    if kind:
        assert body["type"] == f"http://idp.test/api/v1/problems/{kind}"
    return body


def test_put_creates_then_is_idempotent(app, alpha):
    response = alpha.put("/accounts/S1", student(email="kati@example.ee", isikukood=CODE))
    assert response.status_code == 201
    assert response.headers["Location"] == "/api/v1/accounts/S1"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body == {**body, "external_id": "S1", "username": "kati.kask", "given_name": "Kati",
                    "family_name": "Kask", "email": "kati@example.ee", "isikukood": CODE,
                    "birthdate": "2000-01-01", "roles": ["student"], "status": "active",
                    "linked": False, "students": [], "guardians": []}
    assert body["sub"] and body["created_at"]
    events = audit_count(app)
    again = alpha.put("/accounts/S1", student(email="kati@example.ee", isikukood=CODE))
    assert again.status_code == 200 and again.get_json() == body
    assert audit_count(app) == events  # nothing changed, nothing recorded
    with app.app_context():
        made = db.session.scalar(db.select(Account).where(Account.external_id == "S1"))
        assert made.person.password_hash is None
        assert db.session.scalar(db.select(AuditEvent.actor).where(
            AuditEvent.event == "account_created")) == "api:alpha"


def test_the_username_is_stored_lower_case(alpha):
    assert alpha.put("/accounts/S1", student(username="Kati.KASK")).get_json()["username"] == "kati.kask"


def test_put_updates_what_is_given(app, alpha):
    alpha.put("/accounts/S1", student(email="kati@example.ee", isikukood=CODE))
    response = alpha.put("/accounts/S1", student(username="kati.k", given_name="Katrin",
                                                 roles=["student", "staff"]))
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "kati.k" and body["given_name"] == "Katrin"
    assert body["roles"] == ["staff", "student"]
    assert body["email"] == "kati@example.ee" and body["isikukood"] == CODE  # left out: kept
    with app.app_context():
        event = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.event == "account_updated")).all()[-1]
        assert event.details["fields"] == ["given_name", "roles", "username"]
        assert event.actor == "api:alpha"


def test_null_erases_email_isikukood_and_birthdate(alpha):
    alpha.put("/accounts/S1", student(email="kati@example.ee", isikukood=CODE))
    body = alpha.put("/accounts/S1", student(email=None, isikukood=None, birthdate=None)).get_json()
    assert body["email"] is None and body["isikukood"] is None and body["birthdate"] is None


def test_phone_is_set_tidied_and_erased(alpha):
    body = alpha.put("/accounts/S1", student(phone=" +372 5555  1234")).get_json()
    assert body["phone"] == "+372 5555 1234"
    assert alpha.put("/accounts/S1", student()).get_json()["phone"] == "+372 5555 1234"  # kept
    assert alpha.put("/accounts/S1", student(phone=None)).get_json()["phone"] is None


def test_the_birthdate_follows_the_isikukood(alpha):
    assert alpha.put("/accounts/S1", student(birthdate="2001-02-03")).get_json()["birthdate"] == "2001-02-03"
    assert alpha.put("/accounts/S1", student(isikukood=CODE)).get_json()["birthdate"] == "2000-01-01"
    body = problem(alpha.put("/accounts/S1", student(birthdate="2001-02-03")), 422, "validation")
    assert body["errors"] == [{"pointer": "#/birthdate", "code": "birthdate_mismatch",
                               "detail": "The birth date does not match the isikukood (01.01.2000)."}]
    assert alpha.put("/accounts/S1", student(birthdate="2000-01-01")).status_code == 200


def test_the_director_role_is_kept_and_cannot_be_given(app, alpha):
    with app.app_context():
        account_service.create_account(school_service.get("alpha"), username="dora",
                                             given_name="D", family_name="D",
                                             roles=["admin", "teacher"], external_id="D1",
                                             actor="t", via="t")
        db.session.commit()
    body = alpha.put("/accounts/D1", student(username="dora", roles=["teacher", "staff"])).get_json()
    assert body["roles"] == ["admin", "staff", "teacher"]
    problem(alpha.put("/accounts/D2", student(username="x2", roles=["admin"])), 422, "validation")


@pytest.mark.parametrize("body, errors", [
    ({}, {"#/username": "required", "#/given_name": "required", "#/family_name": "required",
          "#/roles": "required"}),
    (student(username="x"), {"#/username": "username"}),
    (student(username=5), {"#/username": "type_string"}),
    (student(given_name="  "), {"#/given_name": "required"}),
    (student(given_name="A\u0000B"), {"#/given_name": "control"}),
    (student(given_name="\ud800"), {"#/given_name": "control"}),
    (student(family_name="x" * 201), {"#/family_name": "too_long"}),
    (student(email="nope"), {"#/email": "email"}),
    (student(phone="call me"), {"#/phone": "phone"}),
    (student(phone="+1234567890123456"), {"#/phone": "phone"}),
    (student(isikukood="50001010007"), {"#/isikukood": "isikukood_checksum"}),
    (student(isikukood=50001010006), {"#/isikukood": "type_string"}),
    (student(birthdate="01.01.2000"), {"#/birthdate": "birthdate"}),
    (student(birthdate="2999-01-01"), {"#/birthdate": "birthdate_future"}),
    (student(roles=[]), {"#/roles": "roles_required"}),
    (student(roles="student"), {"#/roles": "type_list"}),
    (student(roles=["pupil"]), {"#/roles": "role_unknown"}),
    (student(status="gone"), {"#/status": "status"}),
    (student(sub="abc", extra=1), {"#/sub": "unknown_field", "#/extra": "unknown_field"}),
], ids=["empty", "username", "username-type", "blank-name", "nul", "surrogate", "too-long",
        "email", "phone-words", "phone-16-digits", "checksum", "isikukood-number", "estonian-date", "future", "no-roles",
        "roles-string", "unknown-role", "status", "unknown-fields"])
def test_validation_errors_are_problem_details_per_field(alpha, body, errors):
    """RFC 9457: type, title, status, detail, and errors with a JSON pointer per field."""
    response = alpha.put("/accounts/S1", body)
    result = problem(response, 422, "validation")
    assert result["title"] == "Invalid request data" and result["detail"]
    assert {e["pointer"]: e["code"] for e in result["errors"]} == errors
    assert all(e["detail"] for e in result["errors"])
    assert alpha.get("/accounts/S1").status_code == 404


@pytest.mark.parametrize("data, content_type, status", [
    ("{", "application/json", 400),
    ("[1, 2]", "application/json", 422),
    ('"text"', "application/json", 422),
    ("username=x", "application/x-www-form-urlencoded", 415),
    ("", None, 415),
], ids=["malformed", "array", "string", "form", "no-body"])
def test_bodies_that_are_not_a_json_object(alpha, data, content_type, status):
    headers = {**alpha.headers(), **({"Content-Type": content_type} if content_type else {})}
    response = alpha.client.put("/api/v1/accounts/S1", data=data, headers=headers)
    problem(response, status)


def test_an_invalid_external_id_in_the_path(alpha):
    body = problem(alpha.put("/accounts/-bad", student()), 422, "validation")
    assert body["errors"][0]["parameter"] == "external_id"
    problem(alpha.get("/accounts/-bad"), 404)
    problem(alpha.get("/accounts/a%2Fb"), 404)
    problem(alpha.get("/accounts/" + "x" * 101), 404)


def test_conflicts_with_other_accounts_are_409(app, alpha):
    alpha.put("/accounts/S1", student(isikukood=CODE))
    body = problem(alpha.put("/accounts/S2", student()), 409, "conflict")
    assert body["errors"] == [{"pointer": "#/username", "code": "username_taken",
                               "detail": "The username kati.kask belongs to another account."}]
    body = problem(alpha.put("/accounts/S2", student(username="teine", isikukood=CODE)), 409, "conflict")
    assert body["errors"][0]["code"] == "isikukood_taken"
    alpha.put("/accounts/S3", student(username="kolmas"))
    problem(alpha.put("/accounts/S3", student()), 409, "conflict")  # rename onto S1's name


def test_get_and_404(alpha):
    alpha.put("/accounts/S1", student())
    assert alpha.get("/accounts/S1").get_json()["external_id"] == "S1"
    body = problem(alpha.get("/accounts/S2"), 404)
    assert body["type"] == "about:blank" and body["title"] == "Not Found"


def test_delete_disables_and_ends_tokens(app, alpha, client, world):
    alpha.put("/accounts/S1", student())
    response = alpha.delete("/accounts/S1")
    assert response.status_code == 204 and response.data == b""
    assert alpha.get("/accounts/S1").get_json()["status"] == "disabled"
    assert alpha.delete("/accounts/S1").status_code == 204  # idempotent
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent.event).where(
            AuditEvent.event == "account_disabled")).all()
        assert events == ["account_disabled"]
    problem(alpha.delete("/accounts/S404"), 404)


def test_disable_enable_and_status_in_put(app, alpha, world, client):
    from tests.helpers import login_and_get_tokens
    with app.app_context():
        school_service.get("alpha")
        mari = db.session.scalar(db.select(Account).where(Account.username == "mari",
                                                          Account.school_id == 1))
        mari.external_id = "M1"
        db.session.commit()
    tokens = login_and_get_tokens(app.test_client(), world.schools["alpha"], "mari")
    body = alpha.post("/accounts/M1/disable").get_json()
    assert body["status"] == "disabled"
    with app.app_context():
        assert db.session.scalar(db.select(Token).where(
            Token.access_token_digest.is_not(None), Token.account_id == mari.id,
            Token.revoked_at.is_(None))) is None
    assert app.test_client().get("/userinfo", headers={
        "Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401
    assert alpha.post("/accounts/M1/enable").get_json()["status"] == "active"
    put = alpha.put("/accounts/M1", student(username="mari", given_name="Mari",
                                            family_name="Maasikas", roles=["parent"],
                                            status="disabled"))
    assert put.get_json()["status"] == "disabled"
    assert alpha.put("/accounts/M1", student(username="mari", roles=["parent"],
                                             status="active")).get_json()["status"] == "active"


def test_linked_persons_keep_their_personal_data(app, alpha):
    with app.app_context():
        alpha_mari = db.session.scalar(db.select(Account).where(Account.username == "mari",
                                                                Account.school_id == 1))
        beta_mari = db.session.scalar(db.select(Account).where(Account.username == "mari",
                                                               Account.school_id == 2))
        beta_mari.person_id = alpha_mari.person_id
        alpha_mari.external_id = "M1"
        db.session.commit()
    body = alpha.put("/accounts/M1", student(username="mari", given_name="Other", email=None,
                                             roles=["parent", "teacher"])).get_json()
    assert body["linked"] is True and body["given_name"] == "Mari"
    assert body["email"] == "mari@example.ee" and body["roles"] == ["parent", "teacher"]


def test_list_pages_with_a_cursor_and_link_header(app, alpha):
    for i in range(7):
        assert alpha.put(f"/accounts/S{i}", student(username=f"opilane{i}")).status_code == 201
    seen, url, pages = [], "/accounts?limit=3", 0
    while url:
        response = alpha.get(url)
        assert response.status_code == 200
        body = response.get_json()
        seen += [a["username"] for a in body["items"]]
        pages += 1
        if body["next"]:
            assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
            assert body["next"].startswith("http://idp.test/api/v1/accounts?")
            url = body["next"].removeprefix("http://idp.test/api/v1")
        else:
            assert "Link" not in response.headers
            url = None
    assert pages == 4 and len(seen) == len(set(seen)) == 10  # 7 new + mari, kati, juhan
    assert {f"opilane{i}" for i in range(7)} <= set(seen)


@pytest.mark.parametrize("query, parameter", [
    ("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"), ("limit=-1", "limit"),
    ("cursor=***", "cursor"), ("cursor=YWJj", "cursor"), ("cursor=" + "M" * 40, "cursor"),
])
def test_bad_list_parameters_are_400(alpha, query, parameter):
    body = problem(alpha.get(f"/accounts?{query}"), 400, "validation")
    assert body["errors"][0]["parameter"] == parameter


def test_unknown_paths_and_methods(alpha):
    problem(alpha.get("/nothing"), 404)
    problem(alpha.get("/"), 404)
    response = alpha.client.patch("/api/v1/accounts/S1", headers=alpha.headers())
    problem(response, 405)
    assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PUT"
    response = alpha.client.get("/api/v1/accounts/S1/disable", headers=alpha.headers())
    problem(response, 405)
    assert response.headers["Allow"] == "OPTIONS, POST"


def test_problem_types_are_documented(client):
    response = client.get("/api/v1/problems/validation")
    assert response.status_code == 200
    assert response.get_json()["type"] == "http://idp.test/api/v1/problems/validation"
    assert client.get("/api/v1/problems/nothing").status_code == 404


def test_a_concurrent_write_of_the_same_username_is_409(alpha, monkeypatch):
    """Two requests both checked that the username was free; the database refuses the second."""
    alpha.put("/accounts/S1", student())
    monkeypatch.setattr("idp.services.accounts.conflicts", lambda *a, **k: {})
    problem(alpha.put("/accounts/S2", student()), 409, "conflict")
    assert alpha.get("/accounts/S2").status_code == 404
    assert alpha.get("/accounts/S1").status_code == 200
