"""Checking and applying a roster (idp/roster): every rule, duplicates, idempotency, 10,000 rows."""

from __future__ import annotations

import datetime as dt

import pytest

from idp import roster
from idp.extensions import db
from idp.models import Account, AuditEvent, Guardianship, Person
from idp.roster.apply import apply
from idp.roster.report import report
from idp.services import schools as school_service

from .conftest import isikukood

HEADER = "external_id;username;given_name;family_name;roles;email;isikukood;birthdate;guardian_of"


@pytest.fixture
def alpha(ctx, directors):
    return school_service.get("alpha")


def csv(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def check(school, *lines):
    return roster.check(school.id, csv(*lines))


def by_row(plan) -> dict[int, dict]:
    return {r["row"]: r for r in report(plan, translate=False)["rows"]}


def codes(plan, row: int) -> list[tuple[str, str]]:
    return [(p["field"], p["code"]) for p in by_row(plan)[row]["errors"]]


def accounts_of(school) -> dict[str, Account]:
    return {a.username: a for a in db.session.scalars(
        db.select(Account).where(Account.school_id == school.id))}


def counts(plan) -> tuple:
    c = plan.counts()
    return c["create"], c["update"], c["unchanged"], c["rejected"], c["guardianships"]


def test_new_rows_are_created_with_derived_birthdate_and_no_password(alpha):
    code = isikukood(1)
    plan = check(alpha, f"S1;kati.kask;Kati;Kask;õpilane;;{code};;",
                 "P1;Mari.Kask;Mari;Kask;parent|teacher;mari@example.ee;;;S1")
    assert counts(plan) == (2, 0, 0, 0, 1)
    assert db.session.scalar(db.select(db.func.count()).select_from(Account).where(
        Account.username == "kati.kask")) == 0  # a check writes nothing
    assert apply(plan, actor="dora", via="import") == {"created": 2, "updated": 0, "guardianships": 1}
    made = accounts_of(alpha)
    kati, mari = made["kati.kask"], made["mari.kask"]
    assert kati.roles == ["student"] and kati.external_id == "S1" and kati.status == "active"
    assert kati.person.isikukood == code and kati.person.birthdate == dt.date(2010, 1, 1)
    assert kati.person.password_hash is None and kati.sub and kati.sub != mari.sub
    assert mari.roles == ["parent", "teacher"] and mari.person.email == "mari@example.ee"
    assert mari.person.email_verified is False
    assert db.session.scalar(db.select(Guardianship).where(
        Guardianship.parent_account_id == mari.id, Guardianship.student_account_id == kati.id))
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.actor == "dora")).all()
    assert sorted(e.event for e in events) == ["account_created", "account_created",
                                                "guardianship_added", "roster_imported"]
    assert all(e.school_id == alpha.id for e in events)


def test_importing_the_same_file_again_changes_nothing(alpha):
    lines = [f"S1;kadri;Kati;Kask;student;;{isikukood(1)};;", "P1;mari.kask;Mari;Kask;parent;m@x.ee;;;S1"]
    apply(check(alpha, *lines), actor="dora", via="import")
    events = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))
    again = check(alpha, *lines)
    assert counts(again) == (0, 0, 2, 0, 0)
    assert apply(again, actor="dora", via="import") == {"created": 0, "updated": 0, "guardianships": 0}
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == events + 1


def test_updates_by_external_id_and_by_username(alpha, directors):
    apply(check(alpha, "S1;kadri;Kati;Kask;student;;;;"), actor="dora", via="import")
    plan = check(alpha, "S1;kati.k;Katrin;Kask;student|staff;k@x.ee;;;",  # renamed, by S1
                 "J9;juhan;Juhan;Kask;teacher;;;;")  # juhan exists without an external id
    assert counts(plan) == (0, 2, 0, 0, 0)
    rows = by_row(plan)
    assert rows[2]["changes"] == ["email", "given_name", "roles", "username"]
    assert rows[3]["changes"] == ["external_id"]
    apply(plan, actor="dora", via="import")
    made = accounts_of(alpha)
    assert "kadri" not in made and made["kati.k"].person.given_name == "Katrin"
    assert made["kati.k"].person.version == 2
    assert made["juhan"].external_id == "J9" and made["juhan"].id == directors["alpha/juhan"]


def test_a_phone_column_in_estonian(alpha):
    text = ("välis_id;kasutajanimi;eesnimi;perekonnanimi;roll;telefon\n"
            "S1;kadri;Kati;Kask;õpilane;+372 5555 1234\n"
            "S2;mart;Mart;Kask;õpilane;helista\n")
    plan = roster.check(alpha.id, text)
    assert counts(plan) == (1, 0, 0, 1, 0) and codes(plan, 3) == [("phone", "phone")]
    apply(plan, actor="dora", via="import")
    assert accounts_of(alpha)["kadri"].person.phone == "+372 5555 1234"
    changed = roster.check(alpha.id, text.replace("1234", "4321").replace("helista", ""))
    assert by_row(changed)[2]["changes"] == ["phone"]


def test_an_import_tells_the_schools_what_changed(alpha, directors):
    """The import writes with Core UPDATEs, past the ORM's flush: it queues the events itself."""
    from idp.models import OutboxMessage
    alpha.events_uri = "http://127.0.0.1:9/events"
    db.session.commit()
    apply(check(alpha, "S1;kadri;Kati;Kask;student;;;;"), actor="d", via="i")
    assert db.session.scalars(db.select(OutboxMessage)).all() == []  # new accounts: nothing to tell
    apply(check(alpha, "S1;kadri;Katrin;Kask;student;;;;",
                "J9;juhan;Juhan;Kask;teacher;;;;"), actor="d", via="i")  # juhan: only an id
    [event] = db.session.scalars(db.select(OutboxMessage)).all()
    kadri = accounts_of(alpha)["kadri"]
    db.session.refresh(kadri)
    assert event.kind == "security_event" and event.payload["account_id"] == kadri.id
    assert kadri.profile_version == 1


def test_an_empty_cell_never_erases(alpha):
    apply(check(alpha, f"S1;kadri;Kati;Kask;student;k@x.ee;{isikukood(1)};;"), actor="d", via="i")
    plan = check(alpha, "S1;kadri;Kati;Kask;student;;;;")
    assert counts(plan) == (0, 0, 1, 0, 0)


def test_the_director_role_is_neither_imported_nor_taken_away(alpha):
    plan = check(alpha, ";dora;Dora;Direktor;teacher;;;;", "X1;uus;Uus;Uus;admin;;;;")
    assert codes(plan, 3) == [("roles", "role_admin")]
    assert by_row(plan)[2]["action"] == "unchanged"  # dora stays teacher + admin
    apply(plan, actor="d", via="i")
    assert accounts_of(alpha)["dora"].roles == ["admin", "teacher"]


@pytest.mark.parametrize("line, expected", [
    ("S1;Kati Kask;Kati;Kask;student;;;;", [("username", "username")]),
    ("S1;kadri;;Kask;student;;;;", [("given_name", "required")]),
    ("S1;kadri;Kati;   ;student;;;;", [("family_name", "required")]),
    ("S1;kadri;Kati;Kask;;;;;", [("roles", "roles_required")]),
    ("S1;kadri;Kati;Kask;pupil;;;;", [("roles", "role_unknown")]),
    ("S1;kadri;Kati;Kask;student;not-an-address;;;", [("email", "email")]),
    ("S1;kadri;Kati;Kask;student;;51001010010;;", [("isikukood", "isikukood_checksum")]),
    ("S1;kadri;Kati;Kask;student;;5100101001;;", [("isikukood", "isikukood_digits")]),
    ("S1;kadri;Kati;Kask;student;;91001010010;;", [("isikukood", "isikukood_century")]),
    ("S1;kadri;Kati;Kask;student;;51013010010;;", [("isikukood", "isikukood_date")]),
    ("S1;kadri;Kati;Kask;student;;;31.02.2010;", [("birthdate", "birthdate")]),
    ("S1;kadri;Kati;Kask;student;;;2999-01-01;", [("birthdate", "birthdate_future")]),
    (f"S1;kadri;Kati;Kask;student;;{isikukood(1)};02.01.2010;", [("birthdate", "birthdate_mismatch")]),
    ("S 1;kadri;Kati;Kask;student;;;;", [("external_id", "external_id")]),
    ("S1;kadri;Ka\x01ti;Kask;student;;;;", [("given_name", "control")]),
    ("S1;kadri;Ka\x00ti;Kask;student;;;;", [("given_name", "control")]),
    ("S1;kadri;" + "K" * 201 + ";Kask;student;;;;", [("given_name", "too_long")]),
    ("S1;kadri;Kati;Kask;student;;;;;extra", [("row", "row_fields")]),
    ("S1;kadri;Kati;Kask;parent;;;;S1", [("guardian_of", "guardian_self")]),
    ("S1;kadri;Kati;Kask;student;;;;S2", [("guardian_of", "guardian_needs_parent")]),
    ("S1;kadri;Kati;Kask;parent;;;;NOPE", [("guardian_of", "guardian_unknown")]),
    ("S1;kadri;Kati;Kask;parent;;;;S8 S9", [("guardian_of", "guardian_unknown")] * 2),
], ids=["username", "given-name", "family-name-blank", "no-roles", "unknown-role", "email",
        "checksum", "ten-digits", "century", "date", "bad-birthdate", "future", "birthdate-mismatch",
        "external-id", "control-char", "nul", "too-long", "extra-field", "self-guardian",
        "guardian-not-parent", "guardian-unknown", "guardian-two-ids"])
def test_row_rules(alpha, line, expected):
    plan = check(alpha, line)
    assert counts(plan)[3] == 1
    assert codes(plan, 2) == expected


def test_report_messages_name_the_row_and_reason(alpha):
    plan = check(alpha, "S1;kadri;Kati;Kask;student;;51001010010;;")
    [row] = report(plan, translate=False)["rows"]
    assert row["row"] == 2 and row["action"] == "rejected" and row["username"] == "kadri"
    assert row["errors"][0]["message"] == "The check digit of the isikukood does not match."


def test_duplicates_within_the_file_reject_every_row_involved(alpha):
    code = isikukood(3)
    plan = check(alpha, "S1;kadri;Kati;Kask;student;;;;", "S1;kadri2;Kati;Kask;student;;;;",
                 "S3;mari.k;Mari;Kask;parent;;;;", "S4;MARI.K;Mari;Kask;parent;;;;",
                 f"S5;a1;A;A;student;;{code};;", f"S6;a2;A;A;student;;{code};;",
                 "S7;ok;Ok;Ok;student;;;;")
    assert counts(plan) == (1, 0, 0, 6, 0)
    assert codes(plan, 2) == [("external_id", "duplicate_external_id")]
    assert by_row(plan)[2]["errors"][0]["params"] == {"value": "S1", "rows": "3"}
    assert codes(plan, 5) == [("username", "duplicate_username")]
    assert codes(plan, 7) == [("isikukood", "duplicate_isikukood")]
    assert by_row(plan)[7]["errors"][0]["params"] == {"rows": "6"}  # the code is not repeated


def test_duplicates_against_the_school(alpha):
    apply(check(alpha, f"S1;kadri;Kati;Kask;student;;{isikukood(1)};;"), actor="d", via="i")
    plan = check(alpha, "S2;kadri;Kati;Kask;student;;;;",  # kati belongs to S1
                 f"S3;teine;Teine;Kask;student;;{isikukood(1)};;",  # kati's isikukood
                 "S1;mari;Kati;Kask;student;;;;")  # S1 renamed to mari, who exists
    assert codes(plan, 2) == [("username", "external_id_differs")]
    assert codes(plan, 3) == [("isikukood", "isikukood_taken")]
    assert by_row(plan)[3]["errors"][0]["params"] == {"username": "kadri"}
    assert codes(plan, 4) == [("username", "username_taken")]


def test_birthdate_must_match_the_stored_isikukood(alpha):
    apply(check(alpha, f"S1;kadri;Kati;Kask;student;;{isikukood(1)};;"), actor="d", via="i")
    assert codes(check(alpha, "S1;kadri;Kati;Kask;student;;;2011-01-01;"), 2) == \
        [("birthdate", "birthdate_mismatch")]
    assert counts(check(alpha, "S1;kadri;Kati;Kask;student;;;01.01.2010;")) == (0, 0, 1, 0, 0)


def test_guardian_of_students_in_the_file_and_at_the_school(alpha):
    apply(check(alpha, "S1;kadri;Kati;Kask;student;;;;", "T1;ope;Õpe;Taja;teacher;;;;"),
          actor="d", via="i")
    plan = check(alpha, "S2;mati;Mati;Kask;student;;;;",
                 "P1;mari.kask;Mari;Kask;parent;;;;S1|S2",
                 "P2;toomas;Toomas;Kask;parent;;;;S1 T1")
    assert counts(plan) == (2, 0, 0, 1, 2)
    assert codes(plan, 4) == [("guardian_of", "guardian_not_student")]
    apply(plan, actor="d", via="i")
    made = accounts_of(alpha)
    pairs = set(db.session.execute(db.select(Guardianship.parent_account_id,
                                             Guardianship.student_account_id)))
    assert {(made["mari.kask"].id, made["kadri"].id), (made["mari.kask"].id, made["mati"].id)} <= pairs
    # again: the links exist, nothing to add
    assert counts(check(alpha, "S2;mati;Mati;Kask;student;;;;",
                        "P1;mari.kask;Mari;Kask;parent;;;;S1|S2")) == (0, 0, 2, 0, 0)


def test_a_rejected_student_row_rejects_its_parents_rows(alpha):
    plan = check(alpha, "S1;kadri;;Kask;student;;;;",  # no given name
                 "P1;mari.kask;Mari;Kask;parent|student;;;;S1",
                 "P2;isa;Isa;Kask;parent;;;;P1")  # P1 is rejected in turn
    assert counts(plan) == (0, 0, 0, 3, 0)
    assert codes(plan, 3) == [("guardian_of", "guardian_rejected")]
    assert by_row(plan)[3]["errors"][0]["params"] == {"value": "S1", "row": 2}
    assert codes(plan, 4) == [("guardian_of", "guardian_rejected")]


def test_linked_persons_keep_their_personal_data(alpha, app):
    """A person with accounts at other schools manages their own names, e-mail, isikukood."""
    mari = accounts_of(alpha)["mari"]
    beta_mari = db.session.scalar(db.select(Account).where(Account.username == "mari",
                                                           Account.school_id != alpha.id))
    beta_mari.person_id = mari.person_id  # linked
    db.session.commit()
    plan = check(alpha, "M1;mari;Marianne;Maasikas;parent|teacher;other@example.ee;;;")
    [row] = report(plan, translate=False)["rows"]
    assert row["action"] == "update" and row["changes"] == ["external_id", "roles"]
    assert [w["code"] for w in row["warnings"]] == ["linked_personal"]
    apply(plan, actor="d", via="i")
    db.session.expire_all()
    person = db.session.get(Person, mari.person_id)
    assert person.given_name == "Mari" and person.email == "mari@example.ee"


def test_rows_naming_another_schools_accounts_never_touch_them(alpha, directors):
    """Usernames and external ids are per school: beta's tiit (B-7) stays as it is."""
    beta_tiit = db.session.get(Account, directors["beta/tiit"])
    before = (beta_tiit.username, beta_tiit.person.given_name, beta_tiit.roles)
    plan = check(alpha, "B-7;tiit;Changed;Name;teacher;;;;",
                 "P1;mari.k;Mari;Kask;parent;;;;B-7",
                 "P2;isa;Isa;Kask;parent;;;;B-8")
    assert by_row(plan)[2]["action"] == "create"
    assert codes(plan, 4) == [("guardian_of", "guardian_unknown")]
    apply(plan, actor="d", via="i")
    db.session.expire_all()
    beta_tiit = db.session.get(Account, directors["beta/tiit"])
    assert (beta_tiit.username, beta_tiit.person.given_name, beta_tiit.roles) == before
    new = accounts_of(alpha)["tiit"]
    assert new.id != beta_tiit.id and new.person_id != beta_tiit.person_id
    assert not db.session.scalar(db.select(Guardianship).where(
        Guardianship.student_account_id == beta_tiit.id))
    assert counts(check(alpha, "B-7;tiit;Changed;Name;teacher;;;;")) == (0, 0, 1, 0, 0)


def test_a_confirmation_applies_the_plan_that_was_shown(alpha):
    """The digest changes when the school's accounts change between check and confirm."""
    lines = ["S1;kadri;Kati;Kask;student;;;;"]
    digest = check(alpha, *lines).digest()
    assert check(alpha, *lines).digest() == digest
    apply(check(alpha, "X1;kadri;Kati;Kask;student;;;;"), actor="d", via="i")
    assert check(alpha, *lines).digest() != digest


def generated(n: int) -> str:
    """n rows: students and their parents (every other row), Estonian names, valid codes."""
    lines = []
    for i in range(n // 2):
        code = isikukood(i, prefix=f"5{10 + i // 1000 % 10:02d}0101")
        lines.append(f"S{i};opilane{i};Õnne{i};Kask-Tamm;õpilane;;{code};;")
        lines.append(f"P{i};vanem{i};Jüri{i};Kask-Tamm;lapsevanem|õpetaja;vanem{i}@example.ee;;;S{i}")
    return csv(*lines)


def test_ten_thousand_rows(alpha):
    """10,000 rows in bulk: created, then unchanged on the second run (timing: bench/roster.py)."""
    data = generated(10_000).encode("utf-8-sig")
    plan = roster.check(alpha.id, data)
    assert counts(plan) == (10_000, 0, 0, 0, 5_000)
    done = []
    result = apply(plan, actor="dora", via="import", progress=lambda d, t: done.append((d, t)))
    assert result == {"created": 10_000, "updated": 0, "guardianships": 5_000}
    assert done[-1] == (15_000, 15_000) and len(done) == 15  # a chunk of 1,000 at a time
    made = accounts_of(alpha)
    assert len(made) == 10_000 + 4
    assert made["opilane4321"].person.given_name == "Õnne4321"
    assert made["vanem4321"].roles == ["parent", "teacher"]
    assert len({a.sub for a in made.values()}) == len(made)
    assert db.session.scalar(db.select(db.func.count()).select_from(Guardianship)) == 5_000
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.actor == "dora")) == 15_001
    again = roster.check(alpha.id, data)
    assert counts(again) == (0, 0, 10_000, 0, 0)
