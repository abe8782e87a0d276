"""``idp accounts import --school X roster.csv [--apply] [--json]``: the operator's roster import.

A dry run by default: the report says what would be created, updated or rejected. ``--apply``
writes the valid rows. Exit status: 0 all rows valid, 1 nothing done (unknown school, unusable
file), 3 some rows were rejected (with ``--apply`` the others were written).
"""

from __future__ import annotations

import json
import os
import sys

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from ..services import schools as school_service
from . import FileError, check
from .apply import apply
from .csvfile import MAX_BYTES
from .messages import render
from .report import report

REJECTED = 3


def progress(done: int, total: int) -> None:
    click.echo(f"written {done}/{total}", err=True)


def summary(counts: dict, slug: str) -> str:
    return (f"{slug}: {counts['rows']} rows: {counts['create']} to create, {counts['update']} "
            f"to update, {counts['unchanged']} unchanged, {counts['rejected']} rejected; "
            f"{counts['guardianships']} guardianships to add")


def human(data: dict) -> str:
    lines = [summary(data["counts"], data["school"])]
    for row in data["rows"]:
        for problem in row["errors"]:
            lines.append(f"row {row['row']} ({row['username'] or '-'}): rejected: "
                         f"{problem['field']}: {problem['message']}")
        for problem in row["warnings"]:
            lines.append(f"row {row['row']} ({row['username']}): note: {problem['message']}")
    if data["result"] is None:
        lines.append("Dry run: nothing was written. Add --apply to import.")
    else:
        r = data["result"]
        lines.append(f"Imported: {r['created']} created, {r['updated']} updated, "
                     f"{r['guardianships']} guardianships added.")
    return "\n".join(lines)


@click.command("import")
@click.option("--school", "school_slug", required=True, help="the school's slug or client id")
@click.argument("roster_file", type=click.File("rb"))
@click.option("--apply", "do_apply", is_flag=True, help="write the changes (default: report only)")
@click.option("--json", "as_json", is_flag=True, help="the full report as JSON")
@with_appcontext
def import_command(school_slug, roster_file, do_apply, as_json):
    """Import a roster CSV into a school (format: idp/roster/__init__.py)."""
    from ..cli import fail

    try:
        school = school_service.get(school_slug)
        plan = check(school.id, roster_file.read(MAX_BYTES + 1))
    except school_service.SchoolError as exc:
        fail(str(exc))
    except FileError as exc:
        fail(render(exc.code, exc.params, translate=False))
    click.echo(f"checked {len(plan.rows)} rows", err=True)
    actor = f"cli:{os.environ.get('USER') or 'operator'}"
    try:
        result = apply(plan, actor=actor, via="cli", progress=progress) if do_apply else None
    except SQLAlchemyError as exc:  # e.g. an account changed at the same time: run it again
        fail(f"the import stopped ({exc.__class__.__name__}); what was written stays, and "
             "importing the file again finishes it")
    data = {"school": school.slug, "applied": do_apply, **report(plan, translate=False),
            "result": result}
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str) if as_json else human(data))
    if plan.counts()["rejected"]:
        sys.exit(REJECTED)
