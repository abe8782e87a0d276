"""Registering schools as OIDC clients and managing their secrets."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from ..extensions import db
from ..models import School
from ..models.audit import audit
from ..models.school import KINDS

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
URI_FIELDS = ("logo_uri", "backchannel_logout_uri", "frontchannel_logout_uri",
              "initiate_login_uri", "events_uri")


class SchoolError(ValueError):
    """Invalid school data; the message says what to fix."""


def _check_uri(value: str, field: str, *, allow_http: bool) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise SchoolError(f"{field}: {value!r} is not an absolute http(s) URL without fragment")
    if parts.scheme == "http" and not allow_http:
        raise SchoolError(f"{field}: {value!r} must use https")
    return value


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def get(slug_or_client_id: str) -> School:
    school = db.session.scalar(db.select(School).where(
        (School.slug == slug_or_client_id) | (School.client_id == slug_or_client_id)))
    if school is None:
        raise SchoolError(f"no school {slug_or_client_id!r}")
    return school


def add(*, slug: str, name: str, kind: str = "school", allow_http: bool = False,
        client_secret: str | None = None, **fields) -> tuple[School, str]:
    """Register a school; returns it and its client secret (shown once, stored as a digest)."""
    if not SLUG.match(slug):
        raise SchoolError("slug: lower-case letters, digits and '-' (2-63 characters)")
    if db.session.scalar(db.select(School.id).where(School.slug == slug)) is not None:
        raise SchoolError(f"a school {slug!r} exists already")
    school = School(slug=slug, client_id=slug, name=name, kind=kind)
    secret = client_secret or new_secret()
    school.set_client_secret(secret)
    update(school, allow_http=allow_http, **fields)
    db.session.add(school)
    db.session.flush()
    audit("school_added", school_id=school.id, slug=slug)
    return school, secret


def update(school: School, *, allow_http: bool = False, name: str | None = None,
           kind: str | None = None, redirect_uris=None, post_logout_redirect_uris=None,
           enabled: bool | None = None, **uris) -> School:
    if name is not None:
        if not name.strip():
            raise SchoolError("name must not be empty")
        school.name = name.strip()
    if kind is not None:
        if kind not in KINDS:
            raise SchoolError(f"kind must be one of {', '.join(KINDS)}")
        school.kind = kind
    if redirect_uris is not None:
        school.redirect_uris = [_check_uri(u, "redirect_uri", allow_http=allow_http)
                                for u in redirect_uris]
    if post_logout_redirect_uris is not None:
        school.post_logout_redirect_uris = [
            _check_uri(u, "post_logout_redirect_uri", allow_http=allow_http)
            for u in post_logout_redirect_uris]
    for field, value in uris.items():
        if field not in URI_FIELDS:
            raise SchoolError(f"unknown field {field}")
        if value is not None:
            setattr(school, field, _check_uri(value, field, allow_http=allow_http) if value else None)
    if enabled is not None:
        school.enabled = enabled
    return school


def rotate_secret(school: School) -> str:
    secret = new_secret()
    school.set_client_secret(secret)
    audit("client_secret_rotated", school_id=school.id)
    return secret
