"""The school's audit log: newest first, a page at a time, isikukood masked."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import lazy_gettext as _l

from ..isikukood import mask
from . import bp
from .access import director
from .queries import audit_page, usernames

TALLINN = ZoneInfo("Europe/Tallinn")
#: anything that looks like an isikukood, wherever a feature may have logged one
ISIKUKOOD_LIKE = re.compile(r"(?<!\d)[1-8]\d{10}(?!\d)")
EVENTS = {
    "account_created": _l("Account created"),
    "account_added": _l("Account created"),
    "account_updated": _l("Account changed"),
    "account_disabled": _l("Account disabled"),
    "account_enabled": _l("Account enabled"),
    "guardianship_added": _l("Guardianship added"),
    "guardianship_removed": _l("Guardianship removed"),
    "roster_imported": _l("Roster imported"),
    "login": _l("Logged in"),
    "login_failed": _l("Failed login"),
    "password_set": _l("Password set"),
    "accounts_linked": _l("Accounts linked"),
    "school_added": _l("School registered"),
    "client_secret_rotated": _l("Client secret changed"),
}


def masked(value) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    return ISIKUKOOD_LIKE.sub(lambda m: mask(m.group()), str(value))


def describe(event, names: dict[int, str]) -> dict:
    details = {k: masked(v) for k, v in sorted((event.details or {}).items())}
    return {"at": event.at.astimezone(TALLINN).strftime("%d.%m.%Y %H:%M:%S"),
            "event": EVENTS.get(event.event, event.event), "code": event.event,
            "actor": masked(event.actor or "-"),
            "account": names.get(event.person_id, "") if event.person_id else "",
            "details": details}


@bp.route("/<slug>/audit")
def audit(slug: str):
    school_id = director().school.id
    page = audit_page(school_id)
    names = usernames(school_id, {e.person_id for e in page.items if e.person_id})
    return render_template("admin/audit.html", page=page,
                           events=[describe(e, names) for e in page.items])
