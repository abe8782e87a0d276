"""Language of the pages: the person's choice (sticky), else Estonian."""

from __future__ import annotations

import os
from pathlib import Path

from flask import current_app, has_request_context, session

TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale() -> str:
    lang = session.get("lang") if has_request_context() else None
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def compile_catalogs() -> None:
    """Compile each language's catalogs into ``messages.mo`` when any source is newer.

    A language's catalog is ``messages.po`` plus every ``features/*.po`` beside it: each
    feature (login, recovery, linking, admin, eID ...) keeps its strings in its own file, so
    that work on one feature never edits another's translations.
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for directory in TRANSLATIONS.glob("*/LC_MESSAGES"):
        sources = [directory / "messages.po", *sorted((directory / "features").glob("*.po"))]
        sources = [p for p in sources if p.exists()]
        mo = directory / "messages.mo"
        if not sources or (mo.exists() and mo.stat().st_mtime >= max(p.stat().st_mtime for p in sources)):
            continue
        catalog = None
        for po in sources:
            with po.open("rb") as f:
                part = read_po(f)
            if catalog is None:
                catalog = part
                continue
            for message in part:
                if message.id and message.string:
                    catalog[message.id] = message
        tmp = directory / f"messages.mo.{os.getpid()}.tmp"
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        tmp.replace(mo)  # atomic: parallel test workers may compile at the same time


def role_name(role: str) -> str:
    from flask_babel import gettext as _
    names = {"student": _("student"), "parent": _("parent"), "teacher": _("teacher"),
             "staff": _("staff"), "admin": _("director")}
    return names.get(role, role)
