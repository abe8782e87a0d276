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
    "login_refused": _l("Login refused (ID-card or Smart-ID required)"),
    "eid_login_no_account": _l("ID-card or Smart-ID login without an account here"),
    "session_ended": _l("Logged out"),
    "code_reused": _l("Authorization code used twice (its tokens revoked)"),
    "refresh_token_reused": _l("Refresh token used twice (its tokens revoked)"),
    "password_exception_granted": _l("Password exception granted"),
    "password_exception_revoked": _l("Password exception revoked"),
    "recovery_requested": _l("Password reset requested"),
    "recovery_link_used": _l("Password reset link used"),
    "email_change_requested": _l("E-mail change requested"),
    "email_confirmed": _l("E-mail confirmed"),
    "phone_changed": _l("Phone number changed by the person"),
    "name_from_eid": _l("Name taken over from ID-card or Smart-ID"),
    "child_email_requested": _l("Guardian set the child's e-mail"),
    "child_password_set": _l("Guardian set the child's password"),
    "link_started": _l("Linking started"),
    "link_login_failed": _l("Linking: failed login"),
    "link_eid_proof": _l("Linking: confirmed with ID-card or Smart-ID"),
    "link_refused": _l("Linking refused"),
    "account_unlinked": _l("Account unlinked"),
    "account_request_submitted": _l("Account request submitted"),
    "account_request_confirmed": _l("Account request: e-mail confirmed"),
    "account_request_approved": _l("Account request approved"),
    "account_request_rejected": _l("Account request rejected"),
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
