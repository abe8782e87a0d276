"""Addresses the recovery and account-request pages hand out.

E-mailed links are built from the configured ``ISSUER`` (never from the Host header: a forged
Host would otherwise put an attacker's address in a mail carrying a live token).
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import current_app, session, url_for

from ..login import interactions
from ..models import School


def issuer_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` under the configured issuer."""
    adapter = current_app.url_map.bind("issuer.invalid", script_name="/")
    return current_app.config["ISSUER"] + adapter.build(endpoint, values, force_external=False)


def add_query(url: str, params: dict) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def school_entry(school: School) -> str | None:
    """Where to send a person into the school's Stuudium: its third-party-initiated login
    address (OIDC Core 4, with ``iss``), which our SSO session answers without a prompt."""
    if not school.initiate_login_uri:
        return None
    return add_query(school.initiate_login_uri, {"iss": current_app.config["ISSUER"]})


def pending_login(iid: str | None, school: School) -> str | None:
    """``iid`` if it names a pending login at ``school`` in this browser."""
    item = interactions.get(iid)
    if item is None or item.get("school_id") != school.id:
        return None
    return iid


def latest_pending(school: School) -> str | None:
    """The newest pending login at ``school`` in this browser (its UI cookie), if any: the
    login the person left for "unustasid salasõna?" or "Ava kasutajakonto". Looked up rather
    than carried in the links, so the login page's links are the same for everyone."""
    pending = [(item["created"], iid) for iid, item in (session.get("interactions") or {}).items()
               if item.get("school_id") == school.id and interactions.get(iid) is not None]
    return max(pending)[1] if pending else None


def back_to_login(school: School, iid: str | None) -> str:
    """The school's login page: the pending one of this browser, else a fresh start."""
    if pending_login(iid, school):
        return url_for("login.form", iid=iid)
    return school_entry(school) or url_for("login.at_school", slug=school.slug)
