"""Language of the pages: the person's choice (sticky), else Estonian."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, session

TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def compile_catalogs() -> None:
    """Compile .po → .mo when a catalog is newer than its compiled form (dev and tests)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f)
        with mo.open("wb") as f:
            write_mo(f, catalog)


def role_name(role: str) -> str:
    from flask_babel import gettext as _
    names = {"student": _("student"), "parent": _("parent"), "teacher": _("teacher"),
             "staff": _("staff"), "admin": _("director")}
    return names.get(role, role)
