"""The development mailbox: the e-mail the file backend wrote (``MAILBOX_DIR``), in a browser.

Served only when ``DEV_MAILBOX_ENABLED`` is on (``demo run`` turns it on) and never when ENV is
production: every other time each of its addresses answers 404, as if it did not exist.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    url_for,
)
from markupsafe import Markup, escape

bp = Blueprint("devmail", __name__, url_prefix="/dev/mailbox")

NAME = re.compile(r"^[0-9a-f]{32}$")
URL = re.compile(r"https?://[^\s<>\"')\]]+")


def enabled() -> bool:
    cfg = current_app.config
    return bool(cfg.get("DEV_MAILBOX_ENABLED")) and cfg["ENV"] != "production"


@bp.before_request
def only_in_development():
    if not enabled():
        abort(404)


def mailbox() -> Path:
    return Path(current_app.instance_path) / current_app.config["MAILBOX_DIR"]


def read(path: Path) -> EmailMessage:
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def summary(path: Path) -> dict:
    message = read(path)
    try:
        when = parsedate_to_datetime(message["Date"]) if message["Date"] else None
    except (TypeError, ValueError):
        when = None
    return {"name": path.stem, "to": message["To"], "subject": message["Subject"], "date": when,
            "mtime": path.stat().st_mtime}


def linkify(text: str) -> Markup:
    """Plain text with its addresses made clickable (everything else escaped)."""
    out, last = [], 0
    for match in URL.finditer(text):
        out.append(escape(text[last:match.start()]))
        url = match.group(0)
        out.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def message_file(name: str) -> Path:
    if not NAME.match(name):
        abort(404)
    path = mailbox() / f"{name}.eml"
    if not path.is_file():
        abort(404)
    return path


@bp.route("/")
def index():
    directory = mailbox()
    files = sorted(directory.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True) \
        if directory.is_dir() else []
    messages = [summary(p) for p in files[:500] if NAME.match(p.stem)]
    return render_template("devmail/index.html", messages=messages, directory=directory,
                           backend=current_app.config["MAIL_BACKEND"])


@bp.route("/<name>")
def show(name: str):
    message = read(message_file(name))
    text_part = message.get_body(("plain",))
    text = text_part.get_content() if text_part is not None else ""
    has_html = message.get_body(("html",)) is not None
    return render_template("devmail/message.html", name=name, message=message, body=linkify(text),
                           has_html=has_html)


@bp.route("/<name>/html")
def show_html(name: str):
    """The HTML part as the person's mail program would show it, in a sandbox (no scripts,
    no forms, its own origin)."""
    part = read(message_file(name)).get_body(("html",))
    if part is None:
        abort(404)
    response = Response(part.get_content(), mimetype="text/html")
    response.headers["Content-Security-Policy"] = "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; default-src 'none'; img-src http: https: data:; style-src 'unsafe-inline'"
    return response


@bp.route("/clear", methods=["POST"])
def clear():
    for path in mailbox().glob("*.eml"):
        if NAME.match(path.stem):
            path.unlink(missing_ok=True)
    return redirect(url_for(".index"), 303)
