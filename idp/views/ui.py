"""Small UI routes: the front page, the language switch, health."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, request, session, url_for

bp = Blueprint("ui", __name__)


@bp.route("/")
def index():
    return redirect(url_for("account.profile"))


@bp.route("/lang/<lang>")
def set_language(lang: str):
    """Switch the language of the pages; the choice sticks (UI cookie)."""
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    target = request.args.get("next") or url_for("account.profile")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = url_for("account.profile")  # never an open redirect
    return redirect(target)


@bp.route("/healthz")
def health():
    return {"status": "ok"}
