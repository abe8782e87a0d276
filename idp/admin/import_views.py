"""Roster import on the page: upload → report → confirm → progress and result."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import update

from .. import roster
from ..extensions import db
from ..models import RosterImport
from ..models._types import utcnow
from ..roster import jobs
from ..roster.csvfile import MAX_BYTES
from ..roster.messages import render
from ..roster.report import report
from . import bp
from .access import director, school_import
from .forms import ConfirmForm, ImportForm

#: rows of each kind shown on the report page (all rejected rows are shown)
SHOWN = 200
#: an uploaded file holds personal data: it is kept only while its report waits, a day at most
KEEP_FILE = dt.timedelta(days=1)
TEMPLATE = ("\ufeffexternal_id;username;given_name;family_name;roles;email;isikukood;"
            "birthdate;guardian_of\r\n"
            "S1001;kati.maasikas;Kati;Maasikas;student;;;;\r\n"
            "P2001;mari.maasikas;Mari;Maasikas;parent;mari@example.ee;;;S1001\r\n")


def to_import(token: str):
    return redirect(url_for(".import_page", slug=director().school.slug, token=token), 303)


def recent() -> list[RosterImport]:
    return list(db.session.scalars(db.select(RosterImport).where(
        RosterImport.school_id == director().school.id).order_by(RosterImport.id.desc()).limit(10)))


@bp.route("/<slug>/import", methods=["GET", "POST"])
def import_upload(slug: str):
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("admin/import.html", form=form, recent=recent())
    if (request.content_length or 0) > MAX_BYTES + 64 * 1024:
        form.roster.errors = [render("file_too_large", {"max": MAX_BYTES // (1024 * 1024)})]
        return render_template("admin/import.html", form=form, recent=recent()), 413
    upload = form.roster.data
    try:
        if not upload or not upload.filename:
            raise roster.FileError("file_empty")
        data = upload.read(MAX_BYTES + 1)
        plan = roster.check(director().school.id, data)
    except roster.FileError as error:
        form.roster.errors = [render(error.code, error.params)]
        return render_template("admin/import.html", form=form, recent=recent()), 422
    item = RosterImport(token=secrets.token_urlsafe(24), school_id=director().school.id,
                        actor=director().actor, filename=upload.filename[:255],
                        content=data.decode("utf-8-sig"), plan_digest=plan.digest(),
                        report=report(plan, limit=SHOWN))
    forget_old_files()
    db.session.add(item)
    db.session.commit()
    return to_import(item.token)


def forget_old_files() -> None:
    """Forget the files of reports that were never confirmed."""
    db.session.execute(update(RosterImport).where(
        RosterImport.school_id == director().school.id, RosterImport.status == "checked",
        RosterImport.content.is_not(None),
        RosterImport.created_at < utcnow() - KEEP_FILE).values(content=None))


@bp.route("/<slug>/import/template.csv")
def import_template(slug: str):
    return Response(TEMPLATE, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=roster-template.csv"})


@bp.route("/<slug>/import/<token>")
def import_page(slug: str, token: str):
    item = school_import(token)
    stalled = jobs.stalled(item)
    response = Response(render_template("admin/import_report.html", item=item,
                                        report=item.report, form=ConfirmForm(), stalled=stalled))
    if item.status == "running" and not stalled:
        response.headers["Refresh"] = "2"  # the page follows the progress without scripts
    return response


@bp.post("/<slug>/import/<token>/apply")
def import_apply(slug: str, token: str):
    item = school_import(token)
    ConfirmForm().validate_on_submit()
    if item.status != "checked" or item.content is None:
        return to_import(token)  # confirmed twice, or the file was forgotten
    plan = roster.check(item.school_id, item.content)
    if plan.digest() != item.plan_digest:
        # the school's accounts changed since the report: show the new one, confirm again
        item.plan_digest, item.report = plan.digest(), report(plan, limit=SHOWN)
        db.session.commit()
        flash(_("The school's accounts changed after the check. Review the new report and "
                "confirm again."), "error")
        return to_import(token)
    claimed = db.session.execute(update(RosterImport).where(
        RosterImport.id == item.id, RosterImport.status == "checked").values(
        status="running", started_at=utcnow(), progress_done=0,
        progress_total=sum(plan.counts()[k] for k in ("create", "update", "guardianships")))).rowcount
    db.session.commit()
    if claimed:
        jobs.start(current_app._get_current_object(), item, plan)
    return to_import(token)
