"""Roster import on the director's page: upload → report → confirm → progress → result."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from idp.extensions import db
from idp.models import Account, RosterImport
from idp.models._types import utcnow
from idp.roster import jobs
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.helpers import csrf_token
from tests.idp._ui import find, parse

FILE = ("\ufeffexternal_id;username;given_name;family_name;roles;email;isikukood;guardian_of\r\n"
        "S1;kadri;Kadri;Kask;õpilane;;;\r\n"
        "P1;mart.kask;Mart;Kask;lapsevanem;mart@example.ee;;S1\r\n"
        "S2;pille;Pille;Kask;student;;51001010010;\r\n")


def upload(client, content: bytes | str = FILE, filename: str = "klass.csv", slug: str = "alpha"):
    page = client.get(f"/admin/{slug}/import").get_data(as_text=True)
    data = content.encode() if isinstance(content, str) else content
    # encoded in memory: the test client would spool a large body to a file it never closes
    boundary, body = encode_multipart({"csrf_token": csrf_token(page),
                                       "roster": FileStorage(BytesIO(data), filename)})
    return client.post(f"/admin/{slug}/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def confirm(client, report_url: str):
    page = client.get("/admin/alpha/import").get_data(as_text=True)  # any page's CSRF token
    response = client.post(f"{report_url}/apply", data={"csrf_token": csrf_token(page)})
    jobs.wait(report_url.rsplit("/", 1)[-1])
    return response


def usernames(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(db.select(Account.username).where(
            Account.school_id == school_service.get("alpha").id)))


def test_upload_shows_a_report_and_writes_nothing(app, dora):
    before = usernames(app)
    response = upload(dora)
    assert response.status_code == 303 and response.location.startswith("/admin/alpha/import/")
    html = dora.get(response.location).get_data(as_text=True)
    page = parse(html)
    summary = dict(zip([dt_.text.strip() for dt_ in find(page, "dt")],
                       [dd.text.strip() for dd in find(page, "dd")], strict=True))
    assert summary["Ridu failis"] == "3" and summary["Uued kasutajakontod"] == "2"
    assert summary["Tagasi lükatud read"] == "1" and summary["Uued vanema ja lapse seosed"] == "1"
    assert "Isikukoodi kontrollnumber ei klapi." in html
    rejected = [td.text.strip() for td in find(page, "td")]
    assert rejected[:2] == ["4", "pille"]  # the row number, as the spreadsheet shows it
    assert "mart.kask on õpilase kadri vanem" in html
    assert usernames(app) == before


def test_confirm_imports_and_shows_the_result(app, dora):
    report_url = upload(dora).location
    response = confirm(dora, report_url)
    assert response.status_code == 303 and response.location == report_url
    assert {"kadri", "mart.kask"} <= usernames(app) and "pille" not in usernames(app)
    html = dora.get(report_url).get_data(as_text=True)
    assert "Valmis: 2 kasutajakontot loodud, 0 uuendatud, 1 vanema ja lapse seost lisatud." in html
    with app.app_context():
        item = db.session.scalar(db.select(RosterImport))
        assert item.status == "done" and item.content is None  # the file is not kept
        assert item.actor == "dora" and item.progress_done == item.progress_total == 3
    # confirming twice does nothing more
    assert confirm(dora, report_url).status_code == 303


def test_the_same_file_again_has_nothing_to_change(app, dora):
    confirm(dora, upload(dora).location)
    html = dora.get(upload(dora).location).get_data(as_text=True)
    assert "Midagi pole vaja muuta." in html and "Kinnita import" not in html


def test_a_change_at_the_school_after_the_check_asks_for_a_new_confirmation(app, dora):
    report_url = upload(dora).location
    with app.app_context():
        account_service.create_account(school_service.get("alpha"), username="kadri",
                                       given_name="Kadri", family_name="Teine", roles=["staff"],
                                       external_id="X9", actor="t", via="t")
        db.session.commit()
    response = confirm(dora, report_url)
    assert response.status_code == 303
    html = dora.get(report_url).get_data(as_text=True)
    assert "Kooli kasutajakontod muutusid pärast kontrolli." in html
    assert "mart.kask" not in usernames(app)
    assert "Kasutajanimi kadri kuulub teise välistunnusega kasutajakontole (X9)." in html
    confirm(dora, report_url)
    assert "mart.kask" not in usernames(app)  # its student's row is rejected now
    assert dora.get(report_url).status_code == 200


@pytest.mark.parametrize("content, message", [
    (b"", "Fail on tühi."),
    ("username;given_name\nx;y\n", "Kohustuslikud veerud puuduvad: family_name, roles."),
    (FILE.replace("\ufeff", "").encode("cp1257"), "Fail ei ole UTF-8 tekst (rida 2)."),
    ("username;given_name;family_name;roles;shoe_size\n", "Tundmatud veerud: shoe_size."),
], ids=["empty", "missing-columns", "windows-1257", "unknown-column"])
def test_unusable_files_are_explained(app, dora, content, message):
    response = upload(dora, content)
    assert response.status_code == 422
    page = parse(response.get_data(as_text=True))
    [alert] = [e for e in page if e.attrs.get("role") == "alert"]
    assert message in alert.text
    [field] = find(page, "input", name="roster")
    assert field.attrs["aria-invalid"] == "true" and "roster-error" in field.attrs["aria-describedby"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RosterImport)) == 0


def test_no_file_chosen(dora):
    page = dora.get("/admin/alpha/import").get_data(as_text=True)
    response = dora.post("/admin/alpha/import", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 422


def test_progress_is_shown_while_running(app, dora):
    report_url = upload(dora).location
    with app.app_context():
        item = db.session.scalar(db.select(RosterImport))
        item.status, item.started_at, item.progress_at = "running", utcnow(), utcnow()
        item.progress_done, item.progress_total = 1000, 15000
        db.session.commit()
    response = dora.get(report_url)
    assert response.headers["Refresh"] == "2"
    page = parse(response.get_data(as_text=True))
    [bar] = find(page, "progress")
    assert bar.attrs["value"] == "1000" and bar.attrs["max"] == "15000" and bar.attrs["aria-label"]
    assert "Importimine: 1000 muudatust 15000-st salvestatud." in response.get_data(as_text=True)
    with app.app_context():  # a run whose progress stopped long ago is reported as stopped
        item = db.session.scalar(db.select(RosterImport))
        item.progress_at = utcnow() - dt.timedelta(hours=1)
        db.session.commit()
    response = dora.get(report_url)
    assert "Refresh" not in response.headers
    assert "Import katkes enne lõppu." in response.get_data(as_text=True)


def test_an_old_unconfirmed_file_is_forgotten(app, dora):
    report_url = upload(dora).location
    with app.app_context():
        item = db.session.scalar(db.select(RosterImport))
        item.created_at = utcnow() - dt.timedelta(days=2)
        db.session.commit()
    upload(dora)  # the next upload forgets files older than a day
    with app.app_context():
        old = db.session.scalar(db.select(RosterImport).order_by(RosterImport.id))
        assert old.content is None
    html = dora.get(report_url).get_data(as_text=True)
    assert "See kontroll on liiga vana." in html
    confirm(dora, report_url)
    assert "kadri" not in usernames(app)


def test_the_example_file(dora):
    response = dora.get("/admin/alpha/import/template.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffexternal_id;username;given_name;family_name;roles")


def test_the_example_file_imports_cleanly(app, dora):
    example = dora.get("/admin/alpha/import/template.csv").get_data()
    html = dora.get(upload(dora, example).location).get_data(as_text=True)
    assert "Tagasi lükatud read</dt><dd>0" in html.replace("\n", "").replace(" ", "") or \
        "Tagasilükatudread</dt><dd>0" in html.replace("\n", "").replace(" ", "")


def test_ten_thousand_rows_through_the_page(app, dora):
    from tests.admin.test_roster_plan import generated
    report_url = upload(dora, generated(10_000)).location
    assert "10000" in dora.get(report_url).get_data(as_text=True)
    confirm(dora, report_url)
    assert len(usernames(app)) == 10_004
    html = dora.get(report_url).get_data(as_text=True)
    assert "Valmis: 10000 kasutajakontot loodud, 0 uuendatud, 5000 vanema ja lapse seost lisatud." in html
