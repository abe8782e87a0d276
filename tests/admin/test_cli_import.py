"""``idp accounts import --school X roster.csv [--apply] [--json]``."""

from __future__ import annotations

import json

import pytest

from idp.extensions import db
from idp.models import Account, School

FILE = ("\ufeffexternal_id;username;given_name;family_name;roles;email;isikukood;guardian_of\n"
        "S1;kadri;Kadri;Kask;õpilane;;;\n"
        "P1;mart.kask;Mart;Kask;lapsevanem;mart@example.ee;;S1\n")
BAD_ROW = "S2;pille;Pille;Kask;student;;51001010010;\n"


@pytest.fixture
def run(app, world, tmp_path):
    runner = app.test_cli_runner()

    def invoke(content: str, *options: str, school: str = "alpha"):
        path = tmp_path / "roster.csv"
        path.write_bytes(content.encode())
        return runner.invoke(args=["accounts", "import", "--school", school, str(path), *options])
    return invoke


def usernames(app, slug="alpha") -> set[str]:
    with app.app_context():
        return set(db.session.scalars(db.select(Account.username).join(School).where(
            School.slug == slug)))


def test_a_dry_run_reports_and_writes_nothing(app, run):
    before = usernames(app)
    result = run(FILE)
    assert result.exit_code == 0, result.output
    assert "alpha: 2 rows: 2 to create, 0 to update, 0 unchanged, 0 rejected; 1 guardianships to add" \
        in result.stdout
    assert "Dry run: nothing was written. Add --apply to import." in result.stdout
    assert "checked 2 rows" in result.stderr
    assert usernames(app) == before


def test_apply_writes_and_shows_progress_and_again_changes_nothing(app, run):
    result = run(FILE, "--apply")
    assert result.exit_code == 0, result.output
    assert "Imported: 2 created, 0 updated, 1 guardianships added." in result.stdout
    assert "written 3/3" in result.stderr
    assert {"kadri", "mart.kask"} <= usernames(app)
    again = run(FILE, "--apply")
    assert "0 to create, 0 to update, 2 unchanged" in again.stdout
    assert "Imported: 0 created, 0 updated, 0 guardianships added." in again.stdout


def test_rejected_rows_are_listed_with_row_numbers_and_exit_3(app, run):
    result = run(FILE + BAD_ROW, "--apply")
    assert result.exit_code == 3, result.output
    assert ("row 4 (pille): rejected: isikukood: The check digit of the isikukood does not match."
            in result.stdout)
    assert {"kadri", "mart.kask"} <= usernames(app) and "pille" not in usernames(app)


def test_json_report(app, run):
    result = run(FILE + BAD_ROW, "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["school"] == "alpha" and data["applied"] is False and data["result"] is None
    assert data["counts"] == {"create": 2, "update": 0, "unchanged": 0, "rejected": 1,
                              "guardianships": 1, "rows": 3}
    rows = {r["row"]: r for r in data["rows"]}
    assert rows[2]["action"] == "create" and rows[2]["username"] == "kadri"
    assert rows[4]["errors"] == [{"field": "isikukood", "code": "isikukood_checksum", "params": {},
                                  "message": "The check digit of the isikukood does not match."}]
    assert data["guardianships"] == [{"row": 3, "parent": "mart.kask", "student": "kadri"}]


def test_the_import_is_audited_as_the_operator(app, run, monkeypatch):
    from idp.models import AuditEvent
    monkeypatch.setenv("USER", "operaator")
    assert run(FILE, "--apply").exit_code == 0
    with app.app_context():
        actors = set(db.session.scalars(db.select(AuditEvent.actor).where(
            AuditEvent.event.in_(["account_created", "roster_imported"]))))
    assert actors == {"cli:operaator"}


@pytest.mark.parametrize("content, school, message", [
    (FILE, "nowhere", "no school 'nowhere'"),
    ("username;given_name\nkadri;Kadri\n", "alpha", "Required columns are missing: family_name, roles."),
    ("", "alpha", "The file is empty."),
], ids=["unknown-school", "missing-columns", "empty"])
def test_unusable_input_exits_1(app, run, content, school, message):
    result = run(content, "--apply", school=school)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert result.stdout == ""


def test_a_file_that_is_not_utf8(app, world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(FILE.replace("\ufeff", "").encode("cp1257"))
    result = app.test_cli_runner().invoke(args=["accounts", "import", "--school", "alpha", str(path)])
    assert result.exit_code == 1
    assert 'The file is not UTF-8 text (line 2). In Excel, save it as "CSV UTF-8".' in result.stderr
